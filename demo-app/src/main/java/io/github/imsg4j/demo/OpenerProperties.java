package io.github.imsg4j.demo;

import java.nio.file.Path;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The demo's policy, under {@code opener.*} at the top level of application.yml. Who may connect at all is the
 * endpoint's {@code imsg.endpoints.opener.auth.*}.
 *
 * @param allowedDirectories directories whose files (at any depth) peers may open, read-only; resolved
 *        (symbolic links followed) at start-up, and every requested path is resolved the same way before the
 *        check, so neither {@code ..} nor a link can lead out of them
 */
@ConfigurationProperties("opener")
public record OpenerProperties(List<Path> allowedDirectories) {

	/** @param allowedDirectories the directories; none means nothing may be opened */
	public OpenerProperties {
		allowedDirectories = (allowedDirectories != null) ? List.copyOf(allowedDirectories) : List.of();
	}
}
