package dev.rredcot.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ValueEstimator;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/**
 * {@code --credit} fills only what is not given: each of {@code --creditMethod}, {@code
 * --valueEstimator} and {@code --segmentation} given explicitly wins over the preset.
 */
class CreditPresetTest {
  private static CreditSettings settings(String... args) {
    String[] all = new String[args.length + 1];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--checkpointDir=/nonexistent-store";
    return CreditSettings.fromOptions(
        PipelineOptionsFactory.fromArgs(all).withValidation().as(CreditPipelineOptions.class));
  }

  @Test
  void withoutPresetOrOptionsTheCreditIsGrpo() {
    CreditSettings settings = settings();
    assertEquals(AdvantageRule.GRPO, settings.advantages().rule());
    assertEquals(ValueEstimator.NONE, settings.valueEstimator());
    assertEquals(SegmentationStrategy.SINGLE, settings.segmentation().strategy());
  }

  @Test
  void thePresetSetsAllThreeWhenNoneIsGiven() {
    CreditSettings settings = settings("--credit=mc");
    assertEquals(AdvantageRule.RREDCOT_RUDDER, settings.advantages().rule());
    assertEquals(ValueEstimator.MC, settings.valueEstimator());
    assertEquals(SegmentationStrategy.HYBRID, settings.segmentation().strategy());
  }

  @Test
  void theRredcotPresetIsRudderOnTheCalibratedBank() {
    CreditSettings settings = settings("--credit=rredcot");
    assertEquals(AdvantageRule.RREDCOT_RUDDER_CALIBRATED, settings.advantages().rule());
    assertEquals(ValueEstimator.BANK, settings.valueEstimator());
    assertEquals(SegmentationStrategy.HYBRID, settings.segmentation().strategy());
  }

  @Test
  void anExplicitCreditMethodWinsOverThePreset() {
    CreditSettings settings = settings("--credit=rredcot", "--creditMethod=rredcot-dense");
    assertEquals(AdvantageRule.RREDCOT_DENSE, settings.advantages().rule());
    assertEquals(ValueEstimator.BANK, settings.valueEstimator());
    assertEquals(SegmentationStrategy.HYBRID, settings.segmentation().strategy());
  }

  @Test
  void anExplicitValueEstimatorWinsOverThePreset() {
    CreditSettings settings = settings("--credit=rredcot", "--valueEstimator=answer");
    assertEquals(ValueEstimator.ANSWER, settings.valueEstimator());
    assertEquals(AdvantageRule.RREDCOT_RUDDER_CALIBRATED, settings.advantages().rule());
    assertEquals(SegmentationStrategy.HYBRID, settings.segmentation().strategy());
  }

  @Test
  void anExplicitSegmentationWinsOverThePreset() {
    CreditSettings settings = settings("--credit=mc", "--segmentation=keyword");
    assertEquals(SegmentationStrategy.KEYWORD, settings.segmentation().strategy());
    assertEquals(ValueEstimator.MC, settings.valueEstimator());
  }

  @Test
  void anExplicitOptionThatContradictsThePresetIsStillValidated() {
    // grpo's single segment with a model estimator is fine; grpo's none with hybrid is not.
    IllegalArgumentException failure =
        assertThrows(
            IllegalArgumentException.class,
            () -> settings("--credit=grpo", "--segmentation=hybrid"));
    assertTrue(failure.getMessage().contains("--segmentation=hybrid"), failure.getMessage());
  }

  @Test
  void theChoiceIsResolvedWithoutChangingTheOptions() {
    CreditPipelineOptions options =
        PipelineOptionsFactory.fromArgs("--credit=rredcot", "--segmentation=keyword")
            .as(CreditPipelineOptions.class);
    CreditChoice choice = CreditChoice.of(options);
    assertEquals(
        new CreditChoice(
            AdvantageRule.RREDCOT_RUDDER_CALIBRATED,
            ValueEstimator.BANK,
            SegmentationStrategy.KEYWORD),
        choice);
    assertEquals("rredcot-rudder-calibrated / bank / keyword", choice.toString());
    assertEquals("", options.getCreditMethod(), "the options keep what was given");
    assertEquals("", options.getValueEstimator());
  }

  @Test
  void anUnknownPresetIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> settings("--credit=dpo"));
  }
}
