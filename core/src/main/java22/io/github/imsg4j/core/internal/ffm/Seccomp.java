package io.github.imsg4j.core.internal.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import io.github.imsg4j.core.internal.SelfRestriction;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A seccomp filter ({@code seccomp(2)}, {@code SECCOMP_FILTER_FLAG_TSYNC}) that forbids this whole process, every
 * thread of it, the system calls a compromised worker would reach for and a running JVM never needs: running
 * programs ({@code execve}, {@code execveat}), reading or writing other processes ({@code ptrace},
 * {@code process_vm_readv}/{@code writev}), and changing the system (modules, mounts, {@code kexec}, reboot, swap,
 * {@code bpf}, {@code perf_event_open}, {@code userfaultfd}, the kernel keyring). They fail with {@code EPERM}.
 * Calls of the 32-bit and x32 ABIs, which a filter on x86_64 numbers would not see, are refused whole.
 * Irreversible, and inherited by anything the process still manages to start. x86_64 only.
 */
public final class Seccomp implements SelfRestriction {

	private static final long SYS_SECCOMP = 317;

	private static final long SECCOMP_SET_MODE_FILTER = 1;

	private static final long SECCOMP_FILTER_FLAG_TSYNC = 1;

	private static final int AUDIT_ARCH_X86_64 = 0xC000003E;

	private static final int X32_SYSCALL_BIT = 0x40000000;

	private static final int RET_ALLOW = 0x7fff0000;

	private static final int RET_EPERM = 0x00050000 | 1;

	/** A forbidden call: its x86_64 number and its name, for the report. */
	private record Call(int number, String name) {
	}

	private static final List<Call> FORBIDDEN = List.of(new Call(59, "execve"), new Call(322, "execveat"),
			new Call(101, "ptrace"), new Call(310, "process_vm_readv"), new Call(311, "process_vm_writev"),
			new Call(246, "kexec_load"), new Call(320, "kexec_file_load"), new Call(175, "init_module"),
			new Call(313, "finit_module"), new Call(176, "delete_module"), new Call(165, "mount"),
			new Call(166, "umount2"), new Call(155, "pivot_root"), new Call(169, "reboot"), new Call(167, "swapon"),
			new Call(168, "swapoff"), new Call(321, "bpf"), new Call(298, "perf_event_open"),
			new Call(323, "userfaultfd"), new Call(248, "add_key"), new Call(249, "request_key"),
			new Call(250, "keyctl"));

	// classic BPF opcodes
	private static final short LD_W_ABS = 0x20;

	private static final short JEQ_K = 0x15;

	private static final short JGE_K = 0x35;

	private static final short RET_K = 0x06;

	@Override
	public String forbidExecAndDebugging() {
		if (!"amd64".equals(System.getProperty("os.arch"))) {
			throw new UnsupportedOperationException("the seccomp filter knows x86_64's system call numbers only; this is "
					+ System.getProperty("os.arch"));
		}
		// arch check (3), load the number, the x32 check, one JEQ per call, ALLOW, EPERM
		int len = 3 + 1 + 1 + FORBIDDEN.size() + 2;
		int deny = len - 1;
		try (Arena arena = Arena.ofConfined()) {
			MemorySegment prog = arena.allocate(8L * len, 8);
			int i = 0;
			i = put(prog, i, LD_W_ABS, 0, 0, 4); // seccomp_data.arch
			i = put(prog, i, JEQ_K, 1, 0, AUDIT_ARCH_X86_64);
			i = put(prog, i, RET_K, 0, 0, RET_EPERM); // another ABI (int 0x80): refused whole
			i = put(prog, i, LD_W_ABS, 0, 0, 0); // seccomp_data.nr
			i = put(prog, i, JGE_K, deny - i - 1, 0, X32_SYSCALL_BIT);
			for (Call call : FORBIDDEN) {
				i = put(prog, i, JEQ_K, deny - i - 1, 0, call.number());
			}
			i = put(prog, i, RET_K, 0, 0, RET_ALLOW);
			put(prog, i, RET_K, 0, 0, RET_EPERM);
			MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog { u16 len; struct sock_filter *filter; }
			fprog.set(JAVA_SHORT, 0, (short) len);
			fprog.set(JAVA_LONG, 8, prog.address());
			MemorySegment state = Posix.newState(arena);
			Posix.setNoNewPrivs(state);
			long r = (long) Posix.SYSCALL.invokeExact(state, SYS_SECCOMP, SECCOMP_SET_MODE_FILTER,
					SECCOMP_FILTER_FLAG_TSYNC, fprog.address(), 0L);
			if (r != 0) {
				throw new IllegalStateException((r > 0) ? "seccomp: thread " + r + " could not be synchronised"
						: "seccomp(SECCOMP_SET_MODE_FILTER) failed: errno " + Posix.errno(state));
			}
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException("seccomp failed: " + ex, ex);
		}
		return "seccomp filter on every thread: "
				+ String.join(", ", FORBIDDEN.stream().map(Call::name).toList()) + " refused (EPERM)";
	}

	/** Writes one {@code struct sock_filter {u16 code; u8 jt; u8 jf; u32 k;}} at index {@code i}. */
	private static int put(MemorySegment prog, int i, short code, int jt, int jf, int k) {
		long at = 8L * i;
		prog.set(JAVA_SHORT, at, code);
		prog.set(JAVA_BYTE, at + 2, (byte) jt);
		prog.set(JAVA_BYTE, at + 3, (byte) jf);
		prog.set(JAVA_INT, at + 4, k);
		return i + 1;
	}
}
