package dev.rredcot.pipelines.evaluation;

import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.Segmenter;
import dev.rredcot.pipelines.segment.TokenTexts;
import dev.rredcot.schemas.Rollout;
import java.util.List;

/**
 * Segments a rollout the way the pipeline's {@code SegmentCoT} stage does: {@link Segmenter} with
 * per-token texts from {@link TokenTexts} and the entropies the generator recorded.
 */
public final class TraceSegmentation {
  private TraceSegmentation() {}

  /** Token boundaries of {@code rollout} under {@code settings}. */
  public static int[] boundaries(SegmentationSettings settings, Rollout rollout) {
    List<String> texts = settings.strategy().needsText() ? TokenTexts.charPerToken(rollout) : null;
    float[] entropies = null;
    if (rollout.getEntropies() != null) {
      entropies = new float[rollout.getEntropies().size()];
      for (int i = 0; i < entropies.length; i++) {
        entropies[i] = rollout.getEntropies().get(i);
      }
    }
    return new Segmenter(settings).segment(rollout.getTokenIds().size(), texts, entropies);
  }
}
