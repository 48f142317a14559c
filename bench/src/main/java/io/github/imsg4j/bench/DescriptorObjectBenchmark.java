package io.github.imsg4j.bench;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

import io.github.imsg4j.core.internal.JunixInternals;
import io.github.imsg4j.core.internal.OutgoingFd;
import io.github.imsg4j.core.internal.SocketLayer;
import org.newsclub.net.unix.FileDescriptorCast;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ways to turn a descriptor number into a {@link FileDescriptor} and back without
 * {@code --add-opens java.base/java.io}, which the FFM transport needs once per descriptor it hands over or
 * sends (docs/architecture.md, "The FFM transport"): junixsocket's {@code FileDescriptorCast} (JNI plus a type
 * probe: {@code fcntl} and {@code getsockname}), junixsocket's native {@code initFD}/{@code getFD} reached by
 * reflection (what the core uses), and, as the floor of the {@code dup2}-onto-a-JDK-descriptor way, the
 * {@code open} and {@code close} of {@code /dev/null} through {@link FileInputStream} that it would need besides
 * its {@code dup2}. The descriptor is a socket, as received descriptors in imsg daemons often are. It reaches into
 * {@code core.internal} on purpose, to measure the core's own helpers; the bench module is not an API user.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DescriptorObjectBenchmark {

	private static final java.nio.file.Path DEV_NULL = java.nio.file.Path.of("/dev/null");

	private ImsgChannelPairHolder pair;

	private FileDescriptor object;

	private int number;

	@Setup(Level.Trial)
	public void open() throws IOException {
		this.pair = new ImsgChannelPairHolder();
		this.object = this.pair.descriptor();
		this.number = JunixInternals.numberOf(this.object);
	}

	@Benchmark
	public FileDescriptor objectByCast() throws IOException {
		return FileDescriptorCast.unsafeUsing(this.number).as(FileDescriptor.class);
	}

	@Benchmark
	public FileDescriptor objectByInitFd() throws IOException {
		return JunixInternals.objectOf(this.number);
	}

	@Benchmark
	public int numberByCast() throws IOException {
		return FileDescriptorCast.using(this.object).as(Integer.class);
	}

	@Benchmark
	public int numberByGetFd() throws IOException {
		return JunixInternals.numberOf(this.object);
	}

	@Benchmark
	public boolean openAndCloseDevNull() throws IOException {
		FileInputStream in = new FileInputStream("/dev/null");
		boolean valid = in.getFD().valid();
		in.close();
		return valid;
	}

	/**
	 * What {@code OutboundFd.openReadOnly} and the close after sending cost on the socket layer in use: on FFM one
	 * {@code open(2)} and one {@code close(2)}, the descriptor a plain number throughout.
	 */
	@Benchmark
	public boolean openAndCloseDevNullThroughTheLayer() throws IOException {
		OutgoingFd fd = SocketLayer.get().openReadOnly(DEV_NULL);
		boolean opened = fd.heldNumber() >= 0 || fd.object().valid();
		fd.release();
		return opened;
	}

	/**
	 * The same with the object made, its number read back for {@code sendmsg} and the object invalidated before the
	 * close: what every sent descriptor cost on FFM before the layer kept its own as numbers (and what a
	 * descriptor the application made still costs).
	 */
	@Benchmark
	public boolean openAndCloseDevNullThroughTheLayerAsAnObject() throws IOException {
		OutgoingFd fd = SocketLayer.get().openReadOnly(DEV_NULL);
		boolean opened = SocketLayer.get().number(fd.object()) >= 0;
		fd.release();
		return opened;
	}

	@TearDown(Level.Trial)
	public void close() throws IOException {
		this.pair.close();
	}

	/** A connected socket of this process, held open for the run. */
	private static final class ImsgChannelPairHolder implements AutoCloseable {

		private final org.newsclub.net.unix.AFUNIXSocketPair<org.newsclub.net.unix.AFUNIXSocketChannel> sockets;

		ImsgChannelPairHolder() throws IOException {
			this.sockets = org.newsclub.net.unix.AFUNIXSocketPair.open();
		}

		FileDescriptor descriptor() throws IOException {
			return this.sockets.getSocket1().getFileDescriptor();
		}

		@Override
		public void close() throws IOException {
			this.sockets.getSocket1().close();
			this.sockets.getSocket2().close();
		}
	}
}
