package io.github.imsg4j.spring;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.github.imsg4j.core.ImsgPayloadException;
import io.github.imsg4j.core.PayloadReader;
import io.github.imsg4j.core.PayloadWriter;

/**
 * The codec of an {@link ImsgStruct} record: a C struct layout computed once from the record's components.
 *
 * @param <T> the record type
 */
public final class StructCodec<T extends Record> implements ImsgPayloadCodec<T> {

	private final Class<T> type;

	private final ByteOrder order;

	private final List<Member> members;

	private final int size;

	private final int alignment;

	private final Constructor<T> constructor;

	private StructCodec(Class<T> type) {
		ImsgStruct spec = type.getAnnotation(ImsgStruct.class);
		if (spec == null) {
			throw new IllegalArgumentException(type.getName() + " is not annotated @ImsgStruct");
		}
		this.type = type;
		this.order = (spec.order() == ImsgStruct.Order.NETWORK) ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
		RecordComponent[] components = type.getRecordComponents();
		List<Member> list = new ArrayList<>(components.length);
		Class<?>[] types = new Class<?>[components.length];
		int offset = 0;
		int maxAlign = 1;
		for (int i = 0; i < components.length; i++) {
			RecordComponent c = components[i];
			types[i] = c.getType();
			Member m = Member.of(type, c);
			int align = spec.packed() ? 1 : m.alignment();
			offset = alignUp(offset, align);
			list.add(m.at(offset));
			offset += m.size();
			maxAlign = Math.max(maxAlign, align);
		}
		this.members = List.copyOf(list);
		this.alignment = maxAlign;
		this.size = alignUp(offset, maxAlign);
		try {
			this.constructor = type.getDeclaredConstructor(types);
			this.constructor.setAccessible(true);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			throw new IllegalArgumentException("cannot use the canonical constructor of " + type.getName(), ex);
		}
	}

	/**
	 * Computes the layout of an {@link ImsgStruct} record.
	 *
	 * @param <T> the record type
	 * @param type the record class
	 * @return its codec
	 * @throws IllegalArgumentException when the record is not annotated, or has a member that cannot be laid out
	 */
	public static <T extends Record> StructCodec<T> of(Class<T> type) {
		return new StructCodec<>(type);
	}

	private static int alignUp(int n, int align) {
		return (n + align - 1) / align * align;
	}

	@Override
	public Class<T> type() {
		return this.type;
	}

	/**
	 * @return {@code sizeof} the struct: every payload of this type has exactly this many bytes
	 */
	public int size() {
		return this.size;
	}

	/**
	 * @return the struct's alignment (1 when packed)
	 */
	public int alignment() {
		return this.alignment;
	}

	@Override
	public T decode(PayloadReader payload) {
		if (payload.remaining() != this.size) {
			throw new ImsgPayloadException("payload of " + payload.remaining() + " bytes does not fit "
					+ this.type.getSimpleName() + ", a struct of exactly " + this.size + " bytes");
		}
		ByteBuffer buf = ByteBuffer.wrap(payload.getBytes(this.size)).order(this.order);
		return read(buf, 0);
	}

	private T read(ByteBuffer buf, int base) {
		Object[] args = new Object[this.members.size()];
		for (int i = 0; i < args.length; i++) {
			args[i] = this.members.get(i).read(buf, base);
		}
		try {
			return this.constructor.newInstance(args);
		}
		catch (InvocationTargetException ex) {
			throw new ImsgPayloadException(this.type.getSimpleName() + " rejected the decoded values: "
					+ ex.getCause().getMessage(), ex.getCause());
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException("cannot construct " + this.type.getName(), ex);
		}
	}

	@Override
	public void encode(T value, PayloadWriter<?> out) {
		ByteBuffer buf = ByteBuffer.allocate(this.size).order(this.order);
		write(value, buf, 0);
		out.add(buf.array());
	}

	private void write(Object value, ByteBuffer buf, int base) {
		for (Member m : this.members) {
			m.write(value, buf, base);
		}
	}

	/** One C member: its Java component, kind, offset, size and alignment. */
	private record Member(RecordComponent component, Kind kind, int size, int alignment, int offset,
			StructCodec<?> nested) {

		enum Kind {
			BYTE, BOOLEAN, SHORT, CHAR, INT, FLOAT, LONG, DOUBLE, BYTES, STRING, STRUCT
		}

		@SuppressWarnings({ "unchecked", "rawtypes" })
		static Member of(Class<?> owner, RecordComponent c) {
			Class<?> t = c.getType();
			ImsgField field = c.getAnnotation(ImsgField.class);
			if (field == null) {
				try {
					field = owner.getDeclaredField(c.getName()).getAnnotation(ImsgField.class);
				}
				catch (NoSuchFieldException ex) {
					// records always have the field
				}
			}
			String where = owner.getSimpleName() + "." + c.getName();
			if (t == byte.class) {
				return new Member(c, Kind.BYTE, 1, 1, 0, null);
			}
			if (t == boolean.class) {
				return new Member(c, Kind.BOOLEAN, 1, 1, 0, null);
			}
			if (t == short.class) {
				return new Member(c, Kind.SHORT, 2, 2, 0, null);
			}
			if (t == char.class) {
				return new Member(c, Kind.CHAR, 2, 2, 0, null);
			}
			if (t == int.class) {
				return new Member(c, Kind.INT, 4, 4, 0, null);
			}
			if (t == float.class) {
				return new Member(c, Kind.FLOAT, 4, 4, 0, null);
			}
			if (t == long.class) {
				return new Member(c, Kind.LONG, 8, 8, 0, null);
			}
			if (t == double.class) {
				return new Member(c, Kind.DOUBLE, 8, 8, 0, null);
			}
			if (t == byte[].class || t == String.class) {
				if (field == null || field.length() < 1) {
					throw new IllegalArgumentException(where + " needs @ImsgField(length = N) with N >= 1");
				}
				return new Member(c, (t == String.class) ? Kind.STRING : Kind.BYTES, field.length(), 1, 0, null);
			}
			if (t.isRecord() && t.isAnnotationPresent(ImsgStruct.class)) {
				StructCodec<?> inner = new StructCodec(t);
				return new Member(c, Kind.STRUCT, inner.size(), inner.alignment(), 0, inner);
			}
			throw new IllegalArgumentException(where + " has type " + t.getName()
					+ ", which has no C layout (use a primitive, byte[] or String with @ImsgField, or an @ImsgStruct record)");
		}

		Member at(int off) {
			return new Member(this.component, this.kind, this.size, this.alignment, off, this.nested);
		}

		Object read(ByteBuffer buf, int base) {
			int at = base + this.offset;
			switch (this.kind) {
				case BYTE:
					return buf.get(at);
				case BOOLEAN:
					return buf.get(at) != 0;
				case SHORT:
					return buf.getShort(at);
				case CHAR:
					return buf.getChar(at);
				case INT:
					return buf.getInt(at);
				case FLOAT:
					return buf.getFloat(at);
				case LONG:
					return buf.getLong(at);
				case DOUBLE:
					return buf.getDouble(at);
				case BYTES: {
					byte[] b = new byte[this.size];
					buf.get(at, b);
					return b;
				}
				case STRING: {
					int n = 0;
					while (n < this.size && buf.get(at + n) != 0) {
						n++;
					}
					if (n == this.size) {
						throw new ImsgPayloadException(this.component.getDeclaringRecord().getSimpleName() + "."
								+ this.component.getName() + ": char[" + this.size + "] has no terminating NUL");
					}
					byte[] b = new byte[n];
					buf.get(at, b);
					return new String(b, StandardCharsets.UTF_8);
				}
				default:
					return this.nested.read(buf, at);
			}
		}

		void write(Object owner, ByteBuffer buf, int base) {
			Object v;
			try {
				v = this.component.getAccessor().invoke(owner);
			}
			catch (ReflectiveOperationException ex) {
				throw new IllegalStateException("cannot read " + this.component, ex);
			}
			int at = base + this.offset;
			String where = this.component.getDeclaringRecord().getSimpleName() + "." + this.component.getName();
			switch (this.kind) {
				case BYTE -> buf.put(at, (Byte) v);
				case BOOLEAN -> buf.put(at, (byte) (((Boolean) v) ? 1 : 0));
				case SHORT -> buf.putShort(at, (Short) v);
				case CHAR -> buf.putChar(at, (Character) v);
				case INT -> buf.putInt(at, (Integer) v);
				case FLOAT -> buf.putFloat(at, (Float) v);
				case LONG -> buf.putLong(at, (Long) v);
				case DOUBLE -> buf.putDouble(at, (Double) v);
				case BYTES -> {
					byte[] b = (v != null) ? (byte[]) v : new byte[0];
					if (b.length > this.size) {
						throw new ImsgPayloadException(where + " has " + b.length + " bytes; the member holds " + this.size);
					}
					buf.put(at, b);
				}
				case STRING -> {
					byte[] b = (v != null) ? ((String) v).getBytes(StandardCharsets.UTF_8) : new byte[0];
					if (b.length >= this.size) {
						throw new ImsgPayloadException(where + " has " + b.length + " bytes; char[" + this.size
								+ "] holds at most " + (this.size - 1) + " and the NUL");
					}
					buf.put(at, b);
				}
				default -> {
					if (v == null) {
						throw new ImsgPayloadException(where + " is null; a nested struct must be present");
					}
					this.nested.write(v, buf, at);
				}
			}
		}
	}
}
