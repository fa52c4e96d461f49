/**
 * A fixed-capacity FIFO queue over a preallocated array: `push` and `shift` are O(1) and allocate
 * nothing, unlike `Array#shift`, which moves every element of a large array.
 */
export class RingBuffer<T> {
  readonly capacity: number;
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends an item; returns false (and keeps nothing) when the buffer is full. */
  push(item: T): boolean {
    if (this.#size === this.capacity) return false;
    let index = this.#head + this.#size;
    if (index >= this.capacity) index -= this.capacity;
    this.#items[index] = item;
    this.#size++;
    return true;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = this.#head + 1 === this.capacity ? 0 : this.#head + 1;
    this.#size--;
    return item;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }
}
