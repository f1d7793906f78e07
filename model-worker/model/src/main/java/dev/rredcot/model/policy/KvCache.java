package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of already processed positions, per layer, shaped (B, heads, Tpast, headDim).
 *
 * <p>Arrays belong to the per-call manager of whoever runs the forward passes; the cache is never
 * kept across public {@link Policy} calls. Appending frees the previous arrays of that layer, so
 * nothing else may hold them (a {@link #selectRows} copy is its own).
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
   * (transposes, products in attention) allocate in that array's manager, so a decode step attaches
   * the cache to its own step manager for the forward pass and back to the call's manager after it:
   * the step's intermediates are then freed with the step.
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

  int layers() {
    return keys.length;
  }

  /** Cached keys of {@code layer}, (B, heads, Tpast, headDim). */
  NDArray keys(int layer) {
    return keys[layer];
  }

  /** Cached values of {@code layer}, (B, heads, Tpast, headDim). */
  NDArray values(int layer) {
    return values[layer];
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
