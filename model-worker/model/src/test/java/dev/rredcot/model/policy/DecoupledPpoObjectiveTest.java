package dev.rredcot.model.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The decoupled objective against the objective the trainer used before it (clipped PPO with the
 * ratio taken against the behaviour policy), as an oracle written out here.
 */
class DecoupledPpoObjectiveTest {

  private static final PolicyUpdateOptions OPTIONS = PolicyUpdateOptions.builder().build();
  private static final int TOKENS = 64;

  /** Loss value and its gradient with respect to the current log-probs. */
  private record LossAndGradient(float loss, float[] gradient) {}

  private static LossAndGradient lossAndGradient(
      NDManager manager, float[] logProbs, Function<NDArray, NDArray> perTokenLoss) {
    NDArray leaf = manager.create(logProbs);
    leaf.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = perTokenLoss.apply(leaf).mean();
      collector.backward(loss);
      return new LossAndGradient(loss.getFloat(), leaf.getGradient().toFloatArray());
    }
  }

  /** {@code -min(r A, clip(r) A)} with {@code r = exp(logp - behaviour)}: the former objective. */
  private static NDArray behaviourClippedLoss(NDArray logProbs, NDArray behaviour, NDArray a) {
    NDArray ratio = logProbs.sub(behaviour).exp();
    double eps = OPTIONS.clipEpsilon();
    return ratio.mul(a).minimum(ratio.clip(1 - eps, 1 + eps).mul(a)).neg();
  }

  private static NDArray decoupledLoss(
      NDManager manager, NDArray logProbs, float[] proximal, float[] behaviour, NDArray a) {
    float[] weights = new float[proximal.length];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = DecoupledPpoObjective.behaviourWeight(proximal[i], behaviour[i], OPTIONS);
    }
    NDArray ratio =
        DecoupledPpoObjective.proximalRatio(logProbs, manager.create(proximal), OPTIONS);
    return DecoupledPpoObjective.surrogateLoss(ratio, manager.create(weights), a, OPTIONS);
  }

  private static float[] randomLogProbs(Random random) {
    float[] out = new float[TOKENS];
    for (int i = 0; i < TOKENS; i++) {
      out[i] = (float) (-0.05 - 3 * random.nextDouble());
    }
    return out;
  }

  private static float[] randomAdvantages(Random random) {
    float[] out = new float[TOKENS];
    for (int i = 0; i < TOKENS; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }

  /** {@code values} moved by up to ±0.5 per token: the policy after some updates. */
  private static float[] drifted(float[] values, Random random) {
    float[] out = values.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.min(0f, out[i] + (float) (random.nextDouble() - 0.5));
    }
    return out;
  }

  @Test
  void onFreshRolloutsItIsTheBehaviourClippedObjectiveInValueAndGradient() {
    // Fresh rollouts: the behaviour policy is the policy before the step. Whether the current
    // policy is still there (the first update) or has drifted (later epochs), the two objectives
    // agree token by token.
    Random random = new Random(7);
    try (NDManager manager = NDManager.newBaseManager()) {
      for (int trial = 0; trial < 2; trial++) {
        float[] behaviour = randomLogProbs(random);
        float[] current = trial == 0 ? behaviour.clone() : drifted(behaviour, random);
        NDArray a = manager.create(randomAdvantages(random));
        LossAndGradient decoupled =
            lossAndGradient(
                manager, current, lp -> decoupledLoss(manager, lp, behaviour, behaviour, a));
        LossAndGradient former =
            lossAndGradient(
                manager, current, lp -> behaviourClippedLoss(lp, manager.create(behaviour), a));
        assertEquals(former.loss(), decoupled.loss(), 1e-6f);
        assertArrayEquals(former.gradient(), decoupled.gradient(), 1e-6f);
      }
    }
  }

  @Test
  void onStaleRolloutsTheTrustRegionIsAroundTheProximalPolicy() {
    // Behaviour one nat below the proximal policy on every token: the former objective clips every
    // token with a positive advantage (ratio e > 1.2) and has no gradient there; the decoupled one
    // weighs it by e.
    Random random = new Random(11);
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] proximal = randomLogProbs(random);
      float[] behaviour = proximal.clone();
      for (int i = 0; i < TOKENS; i++) {
        behaviour[i] -= 1f;
      }
      float[] ones = new float[TOKENS];
      Arrays.fill(ones, 1f);
      NDArray a = manager.create(ones);
      LossAndGradient decoupled =
          lossAndGradient(
              manager, proximal, lp -> decoupledLoss(manager, lp, proximal, behaviour, a));
      LossAndGradient former =
          lossAndGradient(
              manager, proximal, lp -> behaviourClippedLoss(lp, manager.create(behaviour), a));
      for (int i = 0; i < TOKENS; i++) {
        assertEquals(0f, former.gradient()[i], "clipped around the behaviour policy");
        assertEquals((float) -Math.E / TOKENS, decoupled.gradient()[i], 1e-6f);
      }
      assertEquals(-Math.E, decoupled.loss(), 1e-5);
    }
  }

  @Test
  void noLogRatioOverflowsWhateverTheBehaviourLogProbs() {
    Random random = new Random(3);
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] proximal = randomLogProbs(random);
      float[] behaviour = new float[TOKENS];
      Arrays.fill(behaviour, -1000f);
      NDArray a = manager.create(randomAdvantages(random));
      LossAndGradient decoupled =
          lossAndGradient(
              manager, proximal, lp -> decoupledLoss(manager, lp, proximal, behaviour, a));
      assertTrue(Float.isFinite(decoupled.loss()));
      for (float g : decoupled.gradient()) {
        assertTrue(Float.isFinite(g));
      }
      assertEquals(
          (float) OPTIONS.maxImportanceWeight(),
          DecoupledPpoObjective.behaviourWeight(-0.1f, -1000f, OPTIONS));
      assertTrue(DecoupledPpoObjective.logRatioClamped(-0.1f, -1000f, OPTIONS));
      // And the former objective on the same numbers: the ratio overflows.
      LossAndGradient former =
          lossAndGradient(
              manager, proximal, lp -> behaviourClippedLoss(lp, manager.create(behaviour), a));
      assertTrue(!Float.isFinite(former.loss()) || hasNonFinite(former.gradient()));
    }
  }

  private static boolean hasNonFinite(float[] values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        return true;
      }
    }
    return false;
  }
}
