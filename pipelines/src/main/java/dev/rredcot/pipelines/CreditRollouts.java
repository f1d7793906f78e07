package dev.rredcot.pipelines;

import dev.rredcot.pipelines.deadletter.DeadLetters;
import dev.rredcot.pipelines.group.GroupRollouts;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.ingest.ParseRollouts;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.stage.ComputeAdvantages;
import dev.rredcot.pipelines.stage.EstimateValues;
import dev.rredcot.pipelines.stage.RedistributeRewards;
import dev.rredcot.pipelines.stage.SegmentCoT;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * The whole credit computation from raw input records to credited rollouts: {@code ParseRollouts →
 * GroupRollouts → SegmentCoT → EstimateValues → RedistributeRewards → ComputeAdvantages}, with the
 * failures of every stage flattened into one dead-letter collection.
 *
 * <p>Grouping comes right after parsing, before segmentation and values, because two stages need
 * the group: the group-mean baseline of {@code valueEstimator=none} and the continuation bank of
 * {@code valueEstimator=bank}, which includes the group's own correct traces (METHOD.md §2). Model
 * calls are then also naturally batched per group.
 */
public final class CreditRollouts
    extends PTransform<
        PCollection<RawRecord>, WithFailures.Result<PCollection<CreditedRollout>, DeadLetter>> {
  private static final long serialVersionUID = 1L;

  private final CreditSettings settings;

  private CreditRollouts(CreditSettings settings) {
    this.settings = settings;
  }

  public static CreditRollouts of(CreditSettings settings) {
    return new CreditRollouts(settings);
  }

  @Override
  public WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> expand(
      PCollection<RawRecord> records) {
    WithFailures.Result<PCollection<Rollout>, DeadLetter> parsed =
        records.apply(
            "ParseRollouts", ParseRollouts.of(settings.maxRecordBytes(), settings.contract()));
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> grouped =
        parsed
            .output()
            .apply(
                "GroupRollouts",
                GroupRollouts.of(settings.groupTimeoutMs(), settings.emittedMarkerTtlMs())
                    .withMaxOpenGroups(settings.maxOpenGroups()));
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> segmented =
        grouped
            .output()
            .apply("SegmentCoT", SegmentCoT.of(settings.segmentation(), settings.model()));
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> valued =
        segmented
            .output()
            .apply(
                "EstimateValues", EstimateValues.of(settings.valueEstimator(), settings.model()));
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> redistributed =
        valued.output().apply("RedistributeRewards", RedistributeRewards.create());
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> credited =
        redistributed
            .output()
            .apply(
                "ComputeAdvantages",
                ComputeAdvantages.of(settings.advantages(), settings.maxMessageBytes()));
    PCollection<DeadLetter> deadLetters =
        PCollectionList.of(parsed.failures())
            .and(grouped.failures())
            .and(segmented.failures())
            .and(valued.failures())
            .and(redistributed.failures())
            .and(credited.failures())
            .apply("FlattenDeadLetters", Flatten.pCollections())
            .setCoder(DeadLetters.coder());
    return WithFailures.Result.of(credited.output(), deadLetters);
  }
}
