package io.github.imsg4j.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code --decode}: reads a payload as a C struct of fixed fields in host byte order, as an imsg peer writes it:
 * {@code u8 u16 u32 u64 i8 i16 i32 i64} and {@code cstr} (a NUL-terminated string), comma-separated, e.g.
 * {@code u64,u64,u64} for the demo's STATS. A payload that does not fit is said so, never guessed at.
 */
final class PayloadDecoder {

	private final List<String> fields;

	private PayloadDecoder(List<String> fields) {
		this.fields = fields;
	}

	/**
	 * @param spec the fields, e.g. {@code u32,cstr}
	 * @return the decoder
	 * @throws IllegalArgumentException naming the field that is not one of the known ones
	 */
	static PayloadDecoder parse(String spec) {
		List<String> fields = new ArrayList<>();
		for (String f : spec.split(",")) {
			String field = f.strip().toLowerCase(Locale.ROOT);
			if (!field.matches("[ui](8|16|32|64)|cstr")) {
				throw new IllegalArgumentException("--decode: '" + f.strip() + "' is not a field type (u8 u16 u32 u64 "
						+ "i8 i16 i32 i64 cstr)");
			}
			fields.add(field);
		}
		return new PayloadDecoder(fields);
	}

	/**
	 * @param payload the message's payload
	 * @return e.g. {@code [1, 1, 7]}, or why it does not fit
	 */
	String decode(ByteBuffer payload) {
		ByteBuffer b = payload.duplicate().order(ByteOrder.nativeOrder());
		List<String> values = new ArrayList<>();
		for (String f : this.fields) {
			if (f.equals("cstr")) {
				int start = b.position();
				int end = start;
				while (end < b.limit() && b.get(end) != 0) {
					end++;
				}
				if (end == b.limit()) {
					return "(does not fit: no NUL after field " + (values.size() + 1) + ")";
				}
				byte[] s = new byte[end - start];
				b.get(s);
				b.get(); // the NUL
				values.add(MessageFormat.quote(new String(s, StandardCharsets.UTF_8)));
				continue;
			}
			int size = Integer.parseInt(f.substring(1)) / 8;
			if (b.remaining() < size) {
				return "(does not fit: " + b.remaining() + " bytes left for field " + (values.size() + 1) + ", a " + f
						+ ")";
			}
			boolean unsigned = f.charAt(0) == 'u';
			values.add(switch (size) {
				case 1 -> unsigned ? Integer.toString(Byte.toUnsignedInt(b.get())) : Byte.toString(b.get());
				case 2 -> unsigned ? Integer.toString(Short.toUnsignedInt(b.getShort())) : Short.toString(b.getShort());
				case 4 -> unsigned ? Integer.toUnsignedString(b.getInt()) : Integer.toString(b.getInt());
				default -> unsigned ? Long.toUnsignedString(b.getLong()) : Long.toString(b.getLong());
			});
		}
		if (b.hasRemaining()) {
			return "(does not fit: " + b.remaining() + " bytes after the last field)";
		}
		return "[" + String.join(", ", values) + "]";
	}
}
