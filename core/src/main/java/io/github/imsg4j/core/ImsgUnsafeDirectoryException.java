package io.github.imsg4j.core;

/**
 * A socket would be made in a directory where another user could replace it after it was made, and so pose as this
 * daemon: one that user owns, or one others may write in without the sticky bit. The message names the directory,
 * its owner or mode, and the fix.
 */
public class ImsgUnsafeDirectoryException extends ImsgIoException {

	private static final long serialVersionUID = 1L;

	/**
	 * @param message the directory, what makes it unsafe, and the fix
	 */
	public ImsgUnsafeDirectoryException(String message) {
		super(message);
	}
}
