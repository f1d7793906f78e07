package dev.rredcot.pipelines.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SegmenterTest {

  private static List<String> chars(String text) {
    List<String> pieces = new ArrayList<>();
    for (char c : text.toCharArray()) {
      pieces.add(String.valueOf(c));
    }
    return pieces;
  }

  private static float[] entropies(float... values) {
    return values;
  }

  private static int[] segment(SegmentationSettings settings, String text, float[] entropies) {
    return new Segmenter(settings).segment(text.length(), chars(text), entropies);
  }

  @Test
  void singleCoversWholeTrace() {
    assertArrayEquals(new int[] {0, 5}, segment(SegmentationSettings.single(), "abcde", null));
  }

  @Test
  void fixedCutsEveryNTokensAndKeepsShortTail() {
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.FIXED)
            .optFixedTokens(4)
            .build();
    assertArrayEquals(new int[] {0, 4, 8, 10}, segment(settings, "0123456789", null));
  }

  @Test
  void keywordCutsAfterNewlinesAndBeforeCueWords() {
    // "12+30=42\n" | "So A: 42" ; "Wait" inside "Waiting" is not a cue.
    String text = "x=1\nSo y=2. Waiting Wait z";
    SegmentationSettings settings =
        SegmentationSettings.builder().setStrategy(SegmentationStrategy.KEYWORD).build();
    int[] boundaries = segment(settings, text, null);
    assertArrayEquals(new int[] {0, 4, text.indexOf("Wait z"), text.length()}, boundaries);
  }

  @Test
  void keywordCutsFollowTheFamilysLineEndWhenItIsNotANewline() {
    // A family whose lines end with ". " (a model with no newline in its vocabulary).
    String trace = "Ann had two cats. So she had 2.5 more. A: 3. ";
    assertEquals(
        java.util.Set.of(18, 39), Segmenter.keywordCuts(chars(trace), List.of("Wait"), ". "));
    assertEquals(
        java.util.Set.of(18, 39),
        Segmenter.keywordCuts(chars(trace), List.of("So"), ". "),
        "a cue word at a line start is the line-end cut");
    assertTrue(Segmenter.keywordCuts(chars(trace), List.of("Wait")).isEmpty(), "no newline");
  }

  @Test
  void keywordCutBeforeCueWordAtStartOfLineIsTheNewlineCut() {
    String text = "a\nTherefore b";
    SegmentationSettings settings =
        SegmentationSettings.builder().setStrategy(SegmentationStrategy.KEYWORD).build();
    assertArrayEquals(new int[] {0, 2, text.length()}, segment(settings, text, null));
  }

  @Test
  void entropyMergeKeepsBoundariesAtHighEntropyTokens() {
    // Tokens 0-2 and 4-5 are confident, token 3 is a fork: merging to 3 segments keeps it apart.
    float[] h = entropies(0.1f, 0.1f, 0.1f, 3.0f, 0.1f, 0.1f);
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.ENTROPY)
            .optTargetSegments(3)
            .build();
    assertArrayEquals(new int[] {0, 3, 4, 6}, segment(settings, "abcdef", h));
  }

  @Test
  void entropyMergeStopsAtThreshold() {
    float[] h = entropies(1f, 1f, 1f, 1f);
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.ENTROPY)
            .optTargetSegments(1)
            .optMergeEntropyThreshold(2.5)
            .build();
    // Pairs of single tokens sum to 2 (< 2.5) and merge; the merged pairs sum to 4 and stay.
    assertArrayEquals(new int[] {0, 2, 4}, segment(settings, "abcd", h));
  }

  @Test
  void hybridMergesKeywordSegmentsDownToTarget() {
    String text = "a\nb\nc\nd";
    float[] h = entropies(0.1f, 0.1f, 0.1f, 0.1f, 5f, 0.1f, 0.1f);
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.HYBRID)
            .optTargetSegments(2)
            .build();
    // Keyword segments [0,2) [2,4) [4,6) [6,7); the one holding the entropy-5 token stays apart
    // from the low-entropy segments before it.
    assertArrayEquals(new int[] {0, 4, 7}, segment(settings, text, h));
  }

  @Test
  void entropyStrategyWithoutEntropiesFailsClearly() {
    SegmentationSettings settings =
        SegmentationSettings.builder().setStrategy(SegmentationStrategy.HYBRID).build();
    assertThrows(MissingEntropiesException.class, () -> segment(settings, "a\nb", null));
  }

  @Test
  void maxSegmentsCapsKeywordSplit() {
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.KEYWORD)
            .optTargetSegments(2)
            .optMaxSegments(2)
            .build();
    int[] boundaries = segment(settings, "a\nb\nc\nd", null);
    assertEquals(3, boundaries.length);
  }

  @Test
  void minTokensMergesShortSegments() {
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.KEYWORD)
            .optMinTokens(3)
            .build();
    int[] boundaries = segment(settings, "ab\nc\ndefgh", null);
    for (int k = 1; k < boundaries.length; k++) {
      assertTrue(boundaries[k] - boundaries[k - 1] >= 3);
    }
  }

  @Test
  void maxTokensSplitsLongSegments() {
    SegmentationSettings settings =
        SegmentationSettings.builder()
            .setStrategy(SegmentationStrategy.KEYWORD)
            .optMaxTokens(3)
            .build();
    int[] boundaries = segment(settings, "abcdefgh", null);
    assertArrayEquals(new int[] {0, 2, 5, 8}, boundaries);
  }

  @Test
  void invalidSettingsNameTheOptionToChange() {
    IllegalArgumentException error =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SegmentationSettings.builder()
                    .setStrategy(SegmentationStrategy.ENTROPY)
                    .optTargetSegments(10)
                    .optMaxSegments(4)
                    .build());
    assertEquals("targetSegments (10) must be <= maxSegments (4)", error.getMessage());
  }

  @Test
  void everyStrategyCoversRandomTracesExactly() {
    // Property: for random texts, entropies and limits, boundaries start at 0, end at T and
    // strictly increase (no gap, no overlap), and the segment count respects maxSegments.
    SplittableRandom random = new SplittableRandom(42);
    String alphabet = "0123456789+-=*. \nSoWaitTherefore";
    for (int trial = 0; trial < 500; trial++) {
      int length = 1 + random.nextInt(200);
      StringBuilder text = new StringBuilder();
      float[] h = new float[length];
      for (int i = 0; i < length; i++) {
        text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        h[i] = (float) (random.nextDouble() * 3);
      }
      int maxSegments = 1 + random.nextInt(20);
      int minTokens = 1 + random.nextInt(5);
      SegmentationSettings settings =
          SegmentationSettings.builder()
              .setStrategy(
                  SegmentationStrategy.values()[
                      random.nextInt(SegmentationStrategy.values().length)])
              .optFixedTokens(1 + random.nextInt(30))
              .optTargetSegments(1 + random.nextInt(maxSegments))
              .optMaxSegments(maxSegments)
              .optMinTokens(minTokens)
              .optMaxTokens(random.nextBoolean() ? 0 : minTokens + random.nextInt(40))
              .optMergeEntropyThreshold(
                  random.nextBoolean() ? Double.POSITIVE_INFINITY : random.nextDouble() * 10)
              .build();
      int[] boundaries = new Segmenter(settings).segment(length, chars(text.toString()), h);
      String context = settings.strategy() + " trial " + trial;
      assertEquals(0, boundaries[0], context);
      assertEquals(length, boundaries[boundaries.length - 1], context);
      for (int k = 1; k < boundaries.length; k++) {
        assertTrue(boundaries[k] > boundaries[k - 1], context);
      }
      assertTrue(boundaries.length - 1 <= maxSegments, context);
    }
  }

  @Test
  void aLetterOutsideTheBasicPlaneIsOneTokenAndAWordCharacter() {
    // U+1D400 (mathematical bold A) is a letter of two UTF-16 chars. "\uD835\uDC00So" is one
    // word, so the cue "So" inside it must not cut; the "So" after the newline starts a segment.
    String text = "x\uD835\uDC00So y\nSo z";
    Rollout rollout = TestRollouts.rollout("g", 0, 2, 0.0, text).build();
    List<Integer> ids = new ArrayList<>();
    text.codePoints().forEach(c -> ids.add(c % 32));
    rollout.setTokenIds(ids);
    List<String> pieces = TokenTexts.charPerToken(rollout);
    assertEquals(text.codePointCount(0, text.length()), pieces.size());
    assertEquals("\uD835\uDC00", pieces.get(1));
    assertEquals(text, String.join("", pieces));
    int newline = pieces.indexOf("\n");
    assertEquals(java.util.Set.of(newline + 1), Segmenter.keywordCuts(pieces, List.of("So")));
  }

  @Test
  void aCueFollowedByALetterOutsideTheBasicPlaneIsNotACue() {
    String text = "a So\uD835\uDC00 b";
    List<String> pieces = new ArrayList<>();
    text.codePoints().forEach(c -> pieces.add(new String(Character.toChars(c))));
    assertTrue(Segmenter.keywordCuts(pieces, List.of("So")).isEmpty());
    assertEquals(java.util.Set.of(2), Segmenter.keywordCuts(chars("a So b"), List.of("So")));
  }

  @Test
  void textWithMoreCharactersThanTokensIsRefused() {
    String text = "ab\uD835\uDC00";
    Rollout rollout = TestRollouts.rollout("g", 0, 2, 0.0, text).build();
    // Three characters (four chars) but two tokens.
    rollout.setTokenIds(new ArrayList<>(List.of(1, 2)));
    assertThrows(IllegalArgumentException.class, () -> TokenTexts.charPerToken(rollout));
  }
}
