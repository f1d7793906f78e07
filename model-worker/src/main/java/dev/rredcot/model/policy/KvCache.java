package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of already processed positions, per layer, shaped (B, heads, Tpast, headDim).
 *
 * <p>A cache either grows by concatenation ({@link #KvCache(int)}: a prefill pass, suffix scoring)
 * or is written in place into buffers with room for a whole generation ({@link #withCapacity}):
 * re-concatenating the past at every decode step copies the whole cache (for 64 rows about 3 MB per
 * layer, twice) and costs more than the step's own work.
 *
 * <p>Arrays belong to the per-call manager of whoever runs the forward passes; the cache is never
 * kept across public {@link Policy} calls. Appending to a growing cache frees the previous arrays
 * of that layer, so nothing else may hold them (a {@link #selectRows} copy is its own).
 */
final class KvCache {
  private final NDArray[] keys;
  private final NDArray[] values;
  // Positions written per layer; the buffers of an in-place cache hold more (capacity).
  private final long[] filled;
  private final boolean inPlace;

  KvCache(int layers) {
    this(layers, false);
  }

  private KvCache(int layers, boolean inPlace) {
    keys = new NDArray[layers];
    values = new NDArray[layers];
    filled = new long[layers];
    this.inPlace = inPlace;
  }

  /**
   * A cache written in place, with room for {@code capacity} positions, whose row {@code i} starts
   * as row {@code rowIndex[i]} of {@code prefill} (every row in order when {@code rowIndex} is
   * null).
   *
   * @param rowIndex (R) int64 row numbers into {@code prefill}, or null
   * @param manager owner of the buffers
   */
  static KvCache withCapacity(KvCache prefill, NDArray rowIndex, long capacity, NDManager manager) {
    int layers = prefill.keys.length;
    long past = prefill.length();
    KvCache cache = new KvCache(layers, true);
    NDIndex written = new NDIndex().addAllDim().addAllDim().addSliceDim(0, past);
    for (int layer = 0; layer < layers; layer++) {
      cache.keys[layer] = buffer(prefill.keys[layer], rowIndex, written, capacity, manager);
      cache.values[layer] = buffer(prefill.values[layer], rowIndex, written, capacity, manager);
      cache.filled[layer] = past;
    }
    return cache;
  }

  private static NDArray buffer(
      NDArray past, NDArray rowIndex, NDIndex written, long capacity, NDManager manager) {
    Shape shape = past.getShape();
    long rows = rowIndex == null ? shape.get(0) : rowIndex.size();
    // Zeros, not uninitialised memory: columns not yet written are read (and masked) by no one,
    // but a NaN there would survive a 0 weight.
    NDArray buffer =
        manager.zeros(new Shape(rows, shape.get(1), capacity, shape.get(3)), past.getDataType());
    if (rowIndex == null) {
      buffer.set(written, past);
    } else {
      try (NDArray selected = past.get(rowIndex)) {
        buffer.set(written, selected);
      }
    }
    return buffer;
  }

  /**
   * Appends this step's keys/values for {@code layer} and returns the full (past + new) pair; for
   * an in-place cache these are views of its buffers, valid until the next append.
   */
  NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
    long start = filled[layer];
    long end = start + newKeys.getShape().get(2);
    filled[layer] = end;
    if (keys[layer] == null) {
      keys[layer] = newKeys;
      values[layer] = newValues;
    } else if (inPlace) {
      NDIndex slot = new NDIndex().addAllDim().addAllDim().addSliceDim(start, end);
      keys[layer].set(slot, newKeys);
      values[layer].set(slot, newValues);
      NDIndex past = new NDIndex().addAllDim().addAllDim().addSliceDim(0, end);
      return new NDArray[] {keys[layer].get(past), values[layer].get(past)};
    } else {
      // The cache owns its arrays: the previous (shorter) pair is freed as soon as the longer one
      // exists, so a T-step decode holds O(T) cache memory instead of every intermediate length.
      NDArray pastKeys = keys[layer];
      NDArray pastValues = values[layer];
      keys[layer] = pastKeys.concat(newKeys, 2);
      values[layer] = pastValues.concat(newValues, 2);
      pastKeys.close();
      pastValues.close();
    }
    return new NDArray[] {keys[layer], values[layer]};
  }

  /**
   * Moves the cached arrays to {@code manager}. Operations whose first operand is a cached array
   * (views, transposes, products in attention) allocate in that array's manager, so a decode step
   * attaches the cache to its own step manager for the forward pass and back to the call's manager
   * after it: the step's intermediates are then freed with the step.
   */
  void attach(NDManager manager) {
    for (int layer = 0; layer < keys.length; layer++) {
      if (keys[layer] != null) {
        keys[layer].attach(manager);
        values[layer].attach(manager);
      }
    }
  }

  /** Frees the cached arrays now rather than with their manager. */
  void close() {
    for (int layer = 0; layer < keys.length; layer++) {
      if (keys[layer] != null) {
        keys[layer].close();
        values[layer].close();
      }
    }
  }

  /** Number of cached positions (0 when empty). */
  long length() {
    return filled[0];
  }

  /**
   * A new growing cache whose row {@code i} is row {@code rowIndex[i]} of this cache, for scoring
   * several suffixes against cached prefixes.
   *
   * @param rowIndex (R) int64 row numbers
   */
  KvCache selectRows(NDArray rowIndex) {
    if (inPlace) {
      throw new IllegalStateException("selectRows copies a growing cache only");
    }
    KvCache copy = new KvCache(keys.length);
    for (int layer = 0; layer < keys.length; layer++) {
      copy.keys[layer] = keys[layer].get(rowIndex);
      copy.values[layer] = values[layer].get(rowIndex);
      copy.filled[layer] = filled[layer];
    }
    return copy;
  }
}
