package io.github.imsg4j.core.internal;

/** A growable ring of {@code long}s, first in first out, that allocates nothing once large enough. */
final class LongRing {

	private long[] items = new long[4];

	private int head;

	private int size;

	int size() {
		return this.size;
	}

	boolean isEmpty() {
		return this.size == 0;
	}

	void add(long value) {
		if (this.size == this.items.length) {
			long[] bigger = new long[this.items.length * 2];
			for (int i = 0; i < this.size; i++) {
				bigger[i] = this.items[(this.head + i) & (this.items.length - 1)];
			}
			this.items = bigger;
			this.head = 0;
		}
		this.items[(this.head + this.size) & (this.items.length - 1)] = value;
		this.size++;
	}

	long first() {
		if (this.size == 0) {
			throw new IllegalStateException("empty");
		}
		return this.items[this.head];
	}

	void removeFirst() {
		first();
		this.head = (this.head + 1) & (this.items.length - 1);
		this.size--;
	}

	void clear() {
		this.head = 0;
		this.size = 0;
	}
}
