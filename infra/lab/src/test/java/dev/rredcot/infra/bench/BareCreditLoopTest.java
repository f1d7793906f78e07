package dev.rredcot.infra.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.task.ArithmeticTask;
import dev.rredcot.model.testing.TinyPolicy;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Rollout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BareCreditLoopTest {

  private static CreditSettings rredcotSettings(Path store) {
    return CreditSettings.fromOptions(
        PipelineOptionsFactory.fromArgs("--credit=rredcot", "--checkpointDir=" + store)
            .as(CreditPipelineOptions.class));
  }

  private static Policy tinyPolicy() {
    return TinyPolicy.create(5);
  }

  @Test
  void creditsEveryRolloutOfEveryGroup(@TempDir Path store) {
    try (Policy policy = tinyPolicy()) {
      List<Rollout> rollouts =
          PolicyRollouts.generate(policy, ArithmeticTask.defaults(), 3, 4, 20, 11);

      int credited =
          new BareCreditLoop(rredcotSettings(store), ValueEstimator.ANSWER)
              .credit(policy, rollouts);

      assertThat(credited, is(rollouts.size()));
    }
  }

  @Test
  void rolloutThatCannotBeValuedFailsTheLoop(@TempDir Path store) {
    // The benchmark's rollouts are well formed, so a scoring failure must not pass silently.
    try (Policy policy = tinyPolicy()) {
      List<Rollout> rollouts =
          new ArrayList<>(PolicyRollouts.generate(policy, ArithmeticTask.defaults(), 1, 4, 20, 11));
      rollouts.set(0, Rollout.newBuilder(rollouts.get(0)).setReferenceAnswer("").build());

      BareCreditLoop loop = new BareCreditLoop(rredcotSettings(store), ValueEstimator.ANSWER);

      assertThrows(IllegalStateException.class, () -> loop.credit(policy, rollouts));
    }
  }
}
