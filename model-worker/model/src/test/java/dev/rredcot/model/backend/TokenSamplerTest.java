package dev.rredcot.model.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The shared sampling rule: forbidden and text-less ids, greedy ties, nucleus, one draw a call. */
class TokenSamplerTest {

  private static float[] logProbs(double... p) {
    float[] lp = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      lp[i] = (float) Math.log(p[i]);
    }
    return lp;
  }

  @Test
  void greedyPicksTheMostLikelyAllowedIdAndBreaksTiesByTheLowest() {
    TokenSampler sampler = new TokenSampler(5, new int[] {0}, 5);
    GenerationOptions greedy = GenerationOptions.builder().optTemperature(0).build();
    SplittableRandom random = new SplittableRandom(1);
    // Id 0 is the most likely but forbidden; ids 2 and 3 tie.
    assertEquals(2, sampler.sample(logProbs(0.4, 0.1, 0.2, 0.2, 0.1), greedy, random));
  }

  @Test
  void forbiddenIdsAndIdsWithoutTextAreNeverSampled() {
    // A model vocabulary of 6 over a tokenizer of 4: ids 4 and 5 have no text.
    TokenSampler sampler = new TokenSampler(6, new int[] {1}, 4);
    GenerationOptions options = GenerationOptions.builder().optTemperature(1).build();
    SplittableRandom random = new SplittableRandom(7);
    int[] counts = new int[6];
    for (int i = 0; i < 2000; i++) {
      counts[sampler.sample(logProbs(0.1, 0.3, 0.1, 0.1, 0.2, 0.2), options, random)]++;
    }
    assertEquals(0, counts[1]);
    assertEquals(0, counts[4]);
    assertEquals(0, counts[5]);
    assertTrue(counts[0] > 0 && counts[2] > 0 && counts[3] > 0, Arrays.toString(counts));
  }

  @Test
  void nucleusKeepsOnlyTheMostLikelyIdsCoveringTopP() {
    TokenSampler sampler = new TokenSampler(4, new int[0], 4);
    GenerationOptions options = GenerationOptions.builder().optTemperature(1).optTopP(0.6).build();
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 500; i++) {
      int id = sampler.sample(logProbs(0.5, 0.3, 0.15, 0.05), options, random);
      assertTrue(id == 0 || id == 1, "sampled " + id + " outside the 0.6 nucleus {0, 1}");
    }
  }

  @Test
  void everyCallDrawsOnceSoGreedyAndSampledRunsAdvanceTheGeneratorAlike() {
    TokenSampler sampler = new TokenSampler(3, new int[0], 3);
    float[] row = logProbs(0.2, 0.5, 0.3);
    SplittableRandom greedy = new SplittableRandom(5);
    SplittableRandom sampled = new SplittableRandom(5);
    sampler.sample(row, GenerationOptions.builder().optTemperature(0).build(), greedy);
    sampler.sample(row, GenerationOptions.builder().optTemperature(1).build(), sampled);
    long next = greedy.nextLong();
    assertEquals(next, sampled.nextLong());
    assertNotEquals(next, new SplittableRandom(5).nextLong());
  }
}
