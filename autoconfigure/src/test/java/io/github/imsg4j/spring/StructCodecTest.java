package io.github.imsg4j.spring;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.github.imsg4j.core.ImsgPayloadException;
import io.github.imsg4j.core.PayloadReader;
import io.github.imsg4j.core.PayloadWriter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** C layouts of {@link ImsgStruct} records: sizes, padding, byte order, strings and rejections. */
class StructCodecTest {

	/** {@code struct { uint8_t a; uint32_t b; uint16_t c; }}: 1 + 3 pad + 4 + 2 + 2 tail pad = 12. */
	@ImsgStruct
	record Padded(byte a, int b, short c) {
	}

	@ImsgStruct(packed = true)
	record Packed(byte a, int b, short c) {
	}

	@ImsgStruct(order = ImsgStruct.Order.NETWORK)
	record Network(int addr, short port) {
	}

	/** {@code struct { char name[8]; uint8_t key[4]; uint64_t n; struct padded p; }}. */
	@ImsgStruct
	record Nested(@ImsgField(length = 8) String name, @ImsgField(length = 4) byte[] key, long n, Padded p) {
	}

	static <T extends Record> byte[] encode(StructCodec<T> codec, T value) {
		PayloadWriter.Plain out = PayloadWriter.create(1024);
		codec.encode(value, out);
		return out.toByteArray();
	}

	@Test
	void membersAreAlignedAsACCompilerAlignsThem() {
		StructCodec<Padded> codec = StructCodec.of(Padded.class);
		assertThat(codec.size()).isEqualTo(12);
		assertThat(codec.alignment()).isEqualTo(4);
		byte[] bytes = encode(codec, new Padded((byte) 1, 0x01020304, (short) 0x0506));
		ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
		assertThat(b.get(0)).isEqualTo((byte) 1);
		assertThat(b.getInt(4)).isEqualTo(0x01020304);
		assertThat(b.getShort(8)).isEqualTo((short) 0x0506);
		assertThat(codec.decode(PayloadReader.of(bytes))).isEqualTo(new Padded((byte) 1, 0x01020304, (short) 0x0506));
	}

	@Test
	void packedStructsHaveNoPadding() {
		assertThat(StructCodec.of(Packed.class).size()).isEqualTo(7);
	}

	@Test
	void networkOrderIsBigEndian() {
		byte[] bytes = encode(StructCodec.of(Network.class), new Network(0x7f000001, (short) 8080));
		assertThat(bytes).hasSize(8).startsWith(0x7f, 0, 0, 1, 0x1f, (byte) 0x90);
	}

	@Test
	void stringsBytesAndNestedStructsRoundTrip() {
		StructCodec<Nested> codec = StructCodec.of(Nested.class);
		// 8 + 4 + 4 pad + 8 + 12 = 36, aligned to 8 = 40
		assertThat(codec.size()).isEqualTo(40);
		Nested value = new Nested("eth0", new byte[] { 9, 8, 7, 6 }, 42, new Padded((byte) 2, 3, (short) 4));
		byte[] bytes = encode(codec, value);
		Nested back = codec.decode(PayloadReader.of(bytes));
		assertThat(back.name()).isEqualTo("eth0");
		assertThat(back.key()).containsExactly(9, 8, 7, 6);
		assertThat(back.n()).isEqualTo(42);
		assertThat(back.p()).isEqualTo(value.p());
	}

	@Test
	void wrongSizesAndOverlongStringsAreRejectedWithTheReason() {
		StructCodec<Padded> codec = StructCodec.of(Padded.class);
		assertThatThrownBy(() -> codec.decode(PayloadReader.of(new byte[11])))
			.isInstanceOf(ImsgPayloadException.class)
			.hasMessageContaining("payload of 11 bytes does not fit Padded, a struct of exactly 12 bytes");
		assertThatThrownBy(() -> codec.decode(PayloadReader.of(new byte[13]))).isInstanceOf(ImsgPayloadException.class);
		StructCodec<Nested> nested = StructCodec.of(Nested.class);
		assertThatThrownBy(() -> encode(nested, new Nested("eight ch", new byte[4], 0, new Padded((byte) 0, 0, (short) 0))))
			.isInstanceOf(ImsgPayloadException.class)
			.hasMessageContaining("char[8] holds at most 7");
		byte[] noNul = encode(nested, new Nested("x", new byte[4], 0, new Padded((byte) 0, 0, (short) 0)));
		java.util.Arrays.fill(noNul, 0, 8, (byte) 'a');
		assertThatThrownBy(() -> nested.decode(PayloadReader.of(noNul))).isInstanceOf(ImsgPayloadException.class)
			.hasMessageContaining("no terminating NUL");
	}

	@Test
	void membersWithoutACLayoutAreRefusedAtOnce() {
		@ImsgStruct
		record Bad(Object o) {
		}
		assertThatThrownBy(() -> StructCodec.of(Bad.class)).isInstanceOf(IllegalArgumentException.class)
			.hasMessageContaining("Bad.o has type java.lang.Object, which has no C layout");
	}
}
