package io.github.imsg4j.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ibuf API in Java: byte orders, bounds, strings, slices and exact lengths. */
class PayloadTest {

	@Test
	void networkAndHostOrderRoundTrip() {
		byte[] bytes = PayloadWriter.create(64).addN8(0xAB).addN16(0x1234).addN32(0xDEADBEEF).addN64(0x0102030405060708L)
			.addH16(0x1234).addH32(0xCAFEBABE).addH64(-2L).toByteArray();
		assertThat(bytes).hasSize(1 + 2 + 4 + 8 + 2 + 4 + 8);
		assertThat(bytes[1]).as("n16 is big-endian").isEqualTo((byte) 0x12);
		ByteBuffer host = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
		assertThat(host.getShort(15)).as("h16 is host order").isEqualTo((short) 0x1234);
		PayloadReader r = PayloadReader.of(bytes);
		assertThat(r.getN8()).isEqualTo(0xAB);
		assertThat(r.getN16()).isEqualTo(0x1234);
		assertThat(r.getN32()).isEqualTo(0xDEADBEEF);
		assertThat(r.getN64()).isEqualTo(0x0102030405060708L);
		assertThat(r.getH16()).isEqualTo(0x1234);
		assertThat(r.getH32()).isEqualTo(0xCAFEBABE);
		assertThat(r.getH64()).isEqualTo(-2L);
		assertThat(r.hasRemaining()).isFalse();
	}

	@Test
	void readingPastTheEndSaysWhere() {
		PayloadReader r = PayloadReader.of(new byte[6]);
		r.getH32();
		assertThatThrownBy(r::getH32).isInstanceOf(ImsgPayloadException.class)
			.hasMessage("payload too short: need 4 bytes at offset 4, only 2 left");
	}

	@Test
	void exactLengthCheckNamesExpectedAndActual() {
		Imsg m = new Imsg("test", 7, 0, 0, ByteBuffer.wrap(new byte[12]), false, null);
		assertThatThrownBy(() -> m.data(8)).isInstanceOf(ImsgPayloadException.class)
			.hasMessageContaining("message type 7")
			.hasMessageContaining("expected exactly 8 bytes, got 12");
		assertThat(m.data(12).remaining()).isEqualTo(12);
	}

	@Test
	void stringsAsIbufReadsThem() {
		byte[] bytes = PayloadWriter.create(100).addStrbuf("tty0", 8).addCString("hello").add(new byte[] { 'a', 'b' })
			.toByteArray();
		PayloadReader r = PayloadReader.of(bytes);
		assertThat(r.getStrbuf(8)).isEqualTo("tty0");
		assertThat(r.getCString(16)).isEqualTo("hello");
		assertThatThrownBy(() -> r.getCString(16)).isInstanceOf(ImsgPayloadException.class)
			.hasMessageContaining("no NUL terminator");
		assertThat(PayloadReader.of(new byte[] { 'x', 'y', 0, 'z' }).getString(4)).isEqualTo("xy");
		assertThatThrownBy(() -> PayloadReader.of(new byte[] { 'a', 'b' }).getStrbuf(2))
			.hasMessageContaining("not NUL-terminated");
		assertThatThrownBy(() -> PayloadWriter.create(100).addStrbuf("toolong", 7))
			.isInstanceOf(ImsgSizeException.class);
		assertThatThrownBy(() -> PayloadReader.of(new byte[] { 'a', 'b', 0 }).getCString(2))
			.as("the bound counts the NUL").hasMessageContaining("no NUL terminator within 2 bytes");
	}

	@Test
	void slicesAreViewsForFixedStructs() {
		byte[] bytes = PayloadWriter.create(32).addH32(1).addH32(2).addH32(3).toByteArray();
		PayloadReader r = PayloadReader.of(bytes);
		PayloadReader struct = r.slice(8);
		assertThat(struct.getH32()).isEqualTo(1);
		assertThat(struct.getH32()).isEqualTo(2);
		assertThatThrownBy(struct::getN8).isInstanceOf(ImsgPayloadException.class);
		assertThat(r.getH32()).isEqualTo(3);
		bytes[0] = 9;
		assertThat(PayloadReader.of(ByteBuffer.wrap(bytes)).getH32()).as("no copy").isEqualTo(
				ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()).getInt(0));
	}

	@Test
	void writerStopsAtItsLimit() {
		PayloadWriter.Plain w = PayloadWriter.create(6).addH32(1);
		assertThatThrownBy(() -> w.addH32(2)).isInstanceOf(ImsgSizeException.class)
			.hasMessage("payload of 8 bytes exceeds its limit of 6 bytes");
		assertThat(w.size()).isEqualTo(4);
	}

	@Test
	void headersOfBothGenerationsAreByteExact() {
		ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
		WireFormat.CLASSIC.putHeader(b, 0, 1, 20, true, 0, 0x01020304);
		assertThat(b.getInt(0)).isEqualTo(1);
		assertThat(b.getShort(4)).isEqualTo((short) 20);
		assertThat(b.getShort(6)).as("IMSGF_HASFD").isEqualTo((short) 1);
		assertThat(b.getInt(12)).isEqualTo(0x01020304);
		assertThat(WireFormat.CLASSIC.decodeHeader(b, 0)).isEqualTo(new ImsgHeader(1, 20, true, 0, 0x01020304));
		WireFormat.CURRENT.putHeader(b, 0, 1, 20, true, 7, 9);
		assertThat(b.getInt(4)).as("len | IMSG_FD_MARK").isEqualTo(0x80000014);
		assertThat(WireFormat.CURRENT.decodeHeader(b, 0)).isEqualTo(new ImsgHeader(1, 20, true, 7, 9));
		WireFormat.CURRENT.putHeader(b, 0, 1, 20, false, 7, 9);
		assertThat(b.getInt(4)).isEqualTo(20);
	}

	@Test
	void maxMessageSizeIsCheckedAsImsgbufSetMaxsize() {
		assertThat(WireFormat.CLASSIC.checkMaxMessageSize(16)).isEqualTo(16);
		assertThat(WireFormat.CLASSIC.checkMaxMessageSize(65535)).isEqualTo(65535);
		assertThatThrownBy(() -> WireFormat.CLASSIC.checkMaxMessageSize(65536)).isInstanceOf(ImsgSizeException.class)
			.hasMessageContaining("65536").hasMessageContaining("between 16 and 65535");
		assertThatThrownBy(() -> WireFormat.CURRENT.checkMaxMessageSize(15)).hasMessageContaining("between 16 and");
		assertThatThrownBy(() -> WireFormat.CURRENT.checkMaxMessageSize(0x80000000L))
			.as("bit 31 is the fd mark").isInstanceOf(ImsgSizeException.class);
		assertThat(WireFormat.CURRENT.checkMaxMessageSize(0x7FFFFFFF)).isEqualTo(0x7FFFFFFF);
	}
}
