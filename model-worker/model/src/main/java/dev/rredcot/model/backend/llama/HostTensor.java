package dev.rredcot.model.backend.llama;

import java.util.Arrays;

/**
 * A float32 tensor in Java memory, row-major, as read from or written to a checkpoint file before
 * it becomes an NDArray.
 *
 * @param shape dimensions
 * @param values {@code product(shape)} elements, row-major
 */
public record HostTensor(long[] shape, float[] values) {

  /** Checks that the shape fits the values. */
  public HostTensor {
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    if (size != values.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + size + " values, not " + values.length);
    }
  }

  /** Whether the shape is exactly {@code expected}. */
  public boolean hasShape(long... expected) {
    return Arrays.equals(shape, expected);
  }
}
