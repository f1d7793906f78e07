package dev.rredcot.pipelines.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.schemas.CreditedRollout;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shared checks of a family's credit pass good output and fail each kind of bad output. */
class FamilyCreditChecksTest {
  private static final String TEXT = "Tom ran. A: 3. ";
  private static final Map<String, String> TEXT_BY_ID = Map.of("g/0", TEXT);

  /** Reward 1, v = (0.25, 0.5, 1) at characters 0, 9 (after ". "), 15; rewards 0.25 and 0.5. */
  private static CreditedRollout.Builder good() {
    List<Integer> tokens = TEXT.chars().boxed().toList();
    return CreditedRollout.newBuilder()
        .setRolloutId("g/0")
        .setPromptId("p")
        .setGroupId("g")
        .setSampleIndex(0)
        .setGroupSize(2)
        .setGroupCount(2)
        .setGroupComplete(true)
        .setPolicyVersion(0)
        .setPromptText("Q: ")
        .setTokenIds(tokens)
        .setText(TEXT)
        .setLogProbs(tokens.stream().map(t -> -1f).toList())
        .setReward(1.0)
        .setCreditMethod("rredcot-reweight")
        .setValueEstimator("bank")
        .setSegmentation("hybrid")
        .setSegmentBoundaries(List.of(0, 9, 15))
        .setBoundaryValues(List.of(0.25, 0.5, 1.0))
        .setSegmentRewards(List.of(0.25, 0.5))
        .setTokenAdvantages(tokens.stream().map(t -> 1f).toList())
        .setGroupMean(0.5)
        .setGroupStd(0.5)
        .setCreatedAtMs(Instant.EPOCH)
        .setCreditedAtMs(Instant.EPOCH);
  }

  private static void check(List<CreditedRollout> credited) {
    FamilyCreditChecks.assertCreditedReturnEquivalently(credited, TEXT_BY_ID, "bank", ". ");
  }

  @Test
  void passesReturnEquivalentCreditOfEveryRolloutOnce() {
    check(List.of(good().build()));
  }

  @Test
  void failsSegmentRewardsThatDoNotSumToTheRewardMinusTheFirstValue() {
    assertThrows(
        AssertionError.class,
        () -> check(List.of(good().setSegmentRewards(List.of(0.25, 0.6)).build())));
  }

  @Test
  void failsALastValueThatIsNotTheReward() {
    CreditedRollout c =
        good()
            .setBoundaryValues(List.of(0.25, 0.5, 0.9))
            .setSegmentRewards(List.of(0.25, 0.4))
            .build();
    assertThrows(AssertionError.class, () -> check(List.of(c)));
  }

  @Test
  void failsAMissingOrRepeatedRollout() {
    assertThrows(AssertionError.class, () -> check(List.of()));
    assertThrows(AssertionError.class, () -> check(List.of(good().build(), good().build())));
  }

  @Test
  void failsOtherTextOrEstimator() {
    assertThrows(
        AssertionError.class, () -> check(List.of(good().setText("Tom sat. A: 3. ").build())));
    assertThrows(
        AssertionError.class, () -> check(List.of(good().setValueEstimator("mc").build())));
  }

  @Test
  void failsWhenNoSegmentStartsAfterALineEnd() {
    assertThrows(
        AssertionError.class,
        () -> check(List.of(good().setSegmentBoundaries(List.of(0, 5, 15)).build())));
  }
}
