package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of already processed positions, per layer, shaped (B, heads, Tpast, headDim).
 *
 * <p>Arrays belong to the per-call manager of whoever runs the forward passes; the cache is never
 * kept across public {@link Policy} calls.
 */
final class KvCache {
  private final NDArray[] keys;
  private final NDArray[] values;

  KvCache(int layers) {
    keys = new NDArray[layers];
    values = new NDArray[layers];
  }

  /** Appends this step's keys/values for {@code layer} and returns the full (past + new) pair. */
  NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
    if (keys[layer] == null) {
      keys[layer] = newKeys;
      values[layer] = newValues;
    } else {
      keys[layer] = keys[layer].concat(newKeys, 2);
      values[layer] = values[layer].concat(newValues, 2);
    }
    return new NDArray[] {keys[layer], values[layer]};
  }

  /** Number of cached positions (0 when empty). */
  long length() {
    return keys[0] == null ? 0 : keys[0].getShape().get(2);
  }

  /**
   * A new cache holding the first {@code prefixLength} positions of this batch-1 cache, broadcast
   * to {@code rows} rows, for scoring several suffixes against one prefix.
   */
  KvCache broadcastPrefix(long prefixLength, long rows) {
    KvCache copy = new KvCache(keys.length);
    for (int layer = 0; layer < keys.length; layer++) {
      copy.keys[layer] = slice(keys[layer], prefixLength, rows);
      copy.values[layer] = slice(values[layer], prefixLength, rows);
    }
    return copy;
  }

  private static NDArray slice(NDArray array, long prefixLength, long rows) {
    Shape shape = array.getShape();
    if (shape.get(0) != 1) {
      throw new IllegalStateException("broadcastPrefix needs a batch-1 cache, got " + shape);
    }
    NDArray prefix = array.get(":, :, :{}, :", prefixLength);
    return prefix.broadcast(new Shape(rows, shape.get(1), prefixLength, shape.get(3)));
  }
}
