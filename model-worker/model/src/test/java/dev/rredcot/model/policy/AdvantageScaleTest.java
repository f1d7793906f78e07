package dev.rredcot.model.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdvantageScaleTest {
  private static TrainExample example(float... advantages) {
    return new TrainExample(
        "Q\n", new int[advantages.length], advantages, new float[advantages.length]);
  }

  @Test
  void batchRmsDividesEveryTokenByTheBatchsRootMeanSquare() {
    // Tokens 3, 0, -4 and 0: mean square (9 + 16) / 4 = 6.25, RMS 2.5.
    List<TrainExample> batch = List.of(example(3, 0), example(-4, 0));
    assertEquals(2.5, AdvantageScale.tokenRms(batch), 1e-12);
    List<TrainExample> scaled = AdvantageScale.BATCH_RMS.apply(batch);
    assertArrayEquals(new float[] {1.2f, 0}, scaled.get(0).advantages(), 1e-6f);
    assertArrayEquals(new float[] {-1.6f, 0}, scaled.get(1).advantages(), 1e-6f);
    assertEquals(1.0, AdvantageScale.tokenRms(scaled), 1e-6);
    // The batch it was given is not changed.
    assertArrayEquals(new float[] {3, 0}, batch.get(0).advantages());
  }

  @Test
  void asGivenAndAllZeroBatchesAreLeftAlone() {
    List<TrainExample> batch = List.of(example(3, 0));
    assertSame(batch, AdvantageScale.AS_GIVEN.apply(batch));
    List<TrainExample> zeros = List.of(example(0, 0, 0));
    assertSame(zeros, AdvantageScale.BATCH_RMS.apply(zeros));
    assertEquals(0, AdvantageScale.tokenRms(List.of()));
  }
}
