package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;

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
   * A new cache whose row {@code i} is row {@code rowIndex[i]} of this cache, for scoring several
   * suffixes against cached prefixes.
   *
   * @param rowIndex (R) int64 row numbers
   */
  KvCache selectRows(NDArray rowIndex) {
    KvCache copy = new KvCache(keys.length);
    for (int layer = 0; layer < keys.length; layer++) {
      copy.keys[layer] = keys[layer].get(rowIndex);
      copy.values[layer] = values[layer].get(rowIndex);
    }
    return copy;
  }
}
