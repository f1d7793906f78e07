package dev.rredcot.pipelines.segment;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.TraceCredit;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.group.TraceGroupCoder;
import dev.rredcot.schemas.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Cuts every trace of each group into segments with {@link Segmenter}. A trace that cannot be
 * segmented (e.g. {@code missing-entropies} for an entropy strategy, {@code text-token-mismatch}
 * for keyword cuts) leaves its group as a dead letter; the rest of the group goes on.
 */
public final class SegmentCoT
    extends PTransform<
        PCollection<TraceGroup>, WithFailures.Result<PCollection<TraceGroup>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  /** Stage name written into dead letters. */
  public static final String STAGE = "SegmentCoT";

  static final TupleTag<TraceGroup> SEGMENTED = new TupleTag<TraceGroup>() {};
  static final TupleTag<DeadLetter> FAILED = new TupleTag<DeadLetter>() {};

  private final SegmentationSettings settings;

  private SegmentCoT(SegmentationSettings settings) {
    this.settings = settings;
  }

  public static SegmentCoT of(SegmentationSettings settings) {
    return new SegmentCoT(settings);
  }

  @Override
  public WithFailures.Result<PCollection<TraceGroup>, DeadLetter> expand(
      PCollection<TraceGroup> groups) {
    PCollectionTuple segmented =
        groups.apply(
            "SegmentTraces",
            ParDo.of(new SegmentTracesFn(settings))
                .withOutputTags(SEGMENTED, TupleTagList.of(FAILED)));
    segmented.get(SEGMENTED).setCoder(TraceGroupCoder.of());
    segmented.get(FAILED).setCoder(DeadLetters.coder());
    return WithFailures.Result.of(segmented, SEGMENTED, FAILED);
  }

  /** Segments the traces of one group. */
  static final class SegmentTracesFn extends DoFn<TraceGroup, TraceGroup> {
    private static final long serialVersionUID = 1L;
    private final SegmentationSettings settings;
    private transient Segmenter segmenter;

    SegmentTracesFn(SegmentationSettings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      segmenter = new Segmenter(settings);
    }

    @ProcessElement
    public void processElement(@Element TraceGroup group, MultiOutputReceiver out) {
      List<TraceCredit> segmented = new ArrayList<>();
      for (TraceCredit trace : group.traces()) {
        long startNanos = System.nanoTime();
        List<String> texts;
        try {
          texts = settings.strategy().needsText() ? TokenTexts.charPerToken(trace.rollout()) : null;
        } catch (IllegalArgumentException e) {
          out.get(FAILED)
              .output(DeadLetters.ofRollout(trace.rollout(), STAGE, "text-token-mismatch", e));
          continue;
        }
        try {
          int[] boundaries = segmenter.segment(trace.tokenCount(), texts, entropies(trace));
          segmented.add(
              trace.withSegments(
                  settings.strategy().optionValue(),
                  boundaries,
                  (System.nanoTime() - startNanos) / 1e6));
        } catch (MissingEntropiesException e) {
          out.get(FAILED)
              .output(DeadLetters.ofRollout(trace.rollout(), STAGE, "missing-entropies", e));
        } catch (RuntimeException e) {
          out.get(FAILED)
              .output(DeadLetters.ofRollout(trace.rollout(), STAGE, "segmentation-failed", e));
        }
      }
      if (!segmented.isEmpty()) {
        out.get(SEGMENTED).output(group.withTraces(segmented));
      }
    }

    private static float[] entropies(TraceCredit trace) {
      List<Float> values = trace.rollout().getEntropies();
      if (values == null) {
        return null;
      }
      float[] array = new float[values.size()];
      for (int i = 0; i < array.length; i++) {
        array[i] = values.get(i);
      }
      return array;
    }
  }
}
