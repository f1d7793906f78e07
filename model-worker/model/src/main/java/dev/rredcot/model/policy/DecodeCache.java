package dev.rredcot.model.policy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of a generation's decode steps, per layer, written in place into buffers shaped
 * (B, capacity, d) with room for the whole generation; what {@link TransformerNetwork#decodeStep}
 * reads and extends.
 *
 * <p>Two choices make a decode step cheap. Writing in place: re-joining a growing cache at every
 * step copies the whole cache (for 64 rows about 3 MB per layer, twice) and cost more than the
 * step's own attention. Heads side by side, as the projections produce them, rather than split to
 * (B, heads, T, headDim): one-query attention then runs as one product per row over all heads at
 * once (see {@link TransformerNetwork#decodeStep}) instead of one small product per row and head.
 *
 * <p>Arrays belong to the per-call manager of the generation; the cache is never kept across public
 * {@link Policy} calls.
 */
final class DecodeCache {
  private final NDArray[] keys;
  private final NDArray[] values;
  private long filled;

  private DecodeCache(NDArray[] keys, NDArray[] values, long filled) {
    this.keys = keys;
    this.values = values;
    this.filled = filled;
  }

  /**
   * A cache with room for {@code capacity} positions whose row {@code i} starts as row {@code
   * rowIndex[i]} of {@code prefill} (every row in order when {@code rowIndex} is null).
   *
   * @param prefill a prefill pass's cache, (B', heads, T, headDim) per layer
   * @param rowIndex (R) int64 row numbers into {@code prefill}, or null
   * @param manager owner of the buffers
   */
  static DecodeCache fromPrefill(
      KvCache prefill, NDArray rowIndex, long capacity, NDManager manager) {
    int layers = prefill.layers();
    NDArray[] keys = new NDArray[layers];
    NDArray[] values = new NDArray[layers];
    for (int layer = 0; layer < layers; layer++) {
      keys[layer] = buffer(prefill.keys(layer), rowIndex, capacity, manager);
      values[layer] = buffer(prefill.values(layer), rowIndex, capacity, manager);
    }
    return new DecodeCache(keys, values, prefill.length());
  }

  private static NDArray buffer(
      NDArray prefill, NDArray rowIndex, long capacity, NDManager manager) {
    Shape shape = prefill.getShape();
    long past = shape.get(2);
    long width = shape.get(1) * shape.get(3);
    try (NDArray transposed = prefill.transpose(0, 2, 1, 3);
        NDArray sideBySide = transposed.reshape(shape.get(0), past, width);
        NDArray selected = rowIndex == null ? null : sideBySide.get(rowIndex)) {
      NDArray rows = selected == null ? sideBySide : selected;
      // Zeros, not uninitialised memory: positions not yet written are never read (attention
      // takes a view of the written ones), but a buffer that may hold NaN is a trap for later.
      NDArray buffer =
          manager.zeros(new Shape(rows.getShape().get(0), capacity, width), prefill.getDataType());
      buffer.set(new NDIndex().addAllDim().addSliceDim(0, past), rows);
      return buffer;
    }
  }

  /** Number of positions written (prefill plus decode steps so far). */
  long length() {
    return filled;
  }

  /**
   * Writes this step's keys and values (B, 1, d) of {@code layer} at the next position and returns
   * views (B, length, d) of every written position, valid until the next step writes. The last
   * layer of a step advances the position.
   */
  NDArray[] append(int layer, NDArray newKeys, NDArray newValues) {
    NDIndex slot = new NDIndex().addAllDim().addSliceDim(filled, filled + 1);
    keys[layer].set(slot, newKeys);
    values[layer].set(slot, newValues);
    NDIndex written = new NDIndex().addAllDim().addSliceDim(0, filled + 1);
    NDArray[] views = {keys[layer].get(written), values[layer].get(written)};
    if (layer == keys.length - 1) {
      filled++;
    }
    return views;
  }

  /**
   * Moves the buffers to {@code manager}. Views and products whose first operand is a buffer
   * allocate in the buffer's manager, so a decode step attaches the cache to its own step manager
   * for the forward pass and back to the call's manager after it: the step's intermediates are then
   * freed with the step.
   */
  void attach(NDManager manager) {
    for (int layer = 0; layer < keys.length; layer++) {
      keys[layer].attach(manager);
      values[layer].attach(manager);
    }
  }
}
