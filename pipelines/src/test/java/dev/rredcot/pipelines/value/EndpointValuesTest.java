package dev.rredcot.pipelines.value;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rredcot.model.backend.UnsupportedCapabilityException;
import dev.rredcot.model.backend.endpoint.CompletionsBackend;
import dev.rredcot.model.backend.endpoint.CompletionsServer;
import dev.rredcot.model.backend.endpoint.EndpointSettings;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.group.TraceGroupCoder;
import dev.rredcot.pipelines.stage.EstimateValues;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The value stage on a completions server ({@code --model URL}) gives the in-process values, fails
 * a down server's traces as {@code model-server-unavailable}, refuses estimators the endpoint
 * cannot serve before any record, and resolves task families from its configured registry.
 */
@ExtendWith(TestPipelineExtension.class)
class EndpointValuesTest {
  @TempDir static Path store;

  private static Policy policy;
  private static CompletionsServer server;

  @BeforeAll
  static void serve() throws IOException {
    Checkpoint checkpoint = TinyPolicies.save(store, 1, 9);
    policy = Policy.load(new CheckpointStore(store, 10).load(checkpoint.version()));
    server = CompletionsServer.start(policy, "tiny", 0);
  }

  @AfterAll
  static void stop() {
    server.close();
    policy.close();
  }

  private static TraceGroup group() {
    return TinyPolicies.group(
        "g",
        3,
        List.of(
            TinyPolicies.rollout("g", 0, 3, TinyPolicies.CORRECT).build(),
            TinyPolicies.rollout("g", 1, 3, TinyPolicies.WRONG).build(),
            TinyPolicies.rollout("g", 2, 3, "12+30=42\n42-5=37\nA: 37\n").build()));
  }

  private static ModelSettings endpointSettings() {
    // No tokenizer option: the URL is scored in the ids of the store's newest checkpoint.
    return ModelSettings.builder()
        .setCheckpointDir(store.toString())
        .optModel(server.url().toString())
        .optEndpoint(EndpointSettings.builder().optBatchSize(4).build())
        .optBankGreedyFill(false)
        .build();
  }

  /** The in-process policy with the bank as a scoring-only server gives it: no greedy fill. */
  private static ModelSettings localSettings() {
    return ModelSettings.builder()
        .setCheckpointDir(store.toString())
        .optMcSamples(4)
        .optBankGreedyFill(false)
        .build();
  }

  @Test
  void answerAndBankValuesThroughTheServerEqualTheInProcessValues() {
    for (ValueEstimator estimator : List.of(ValueEstimator.ANSWER, ValueEstimator.BANK)) {
      ValueScorer local = new ValueScorer(estimator, localSettings());
      ValueScorer remote = new ValueScorer(estimator, endpointSettings());
      PolicyHolder holder = PolicyHolder.acquire(endpointSettings());
      try (PolicyHolder.Lease lease = holder.lease(1)) {
        TraceGroup group = group();
        List<ValueScorer.Outcome> expected =
            local.score(policy, group, group.traces(), ValueScorer.BatchObserver.NONE);
        List<ValueScorer.Outcome> actual =
            remote.score(lease.policy(), group, group.traces(), ValueScorer.BatchObserver.NONE);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
          assertNull(actual.get(i).failure());
          assertArrayEquals(
              expected.get(i).values(), actual.get(i).values(), 1e-5, estimator + " " + i);
        }
      } finally {
        holder.release();
      }
    }
  }

  @Test
  void theValueStageOnTheServerGivesTheInProcessValues(TestPipeline pipeline) {
    TraceGroup group = group();
    // Plain arrays: the assertion below is serialized into the pipeline.
    ArrayList<double[]> expected = new ArrayList<>();
    for (ValueScorer.Outcome outcome :
        new ValueScorer(ValueEstimator.BANK, localSettings())
            .score(policy, group, group.traces(), ValueScorer.BatchObserver.NONE)) {
      expected.add(outcome.values());
    }
    WithFailures.Result<PCollection<TraceGroup>, DeadLetter> result =
        pipeline
            .apply(Create.of(group).withCoder(TraceGroupCoder.of()))
            .apply(EstimateValues.of(ValueEstimator.BANK, endpointSettings()));
    PAssert.that(result.failures()).empty();
    PAssert.thatSingleton(result.output())
        .satisfies(
            valued -> {
              assertEquals(expected.size(), valued.traces().size());
              for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), valued.traces().get(i).boundaryValues(), 1e-5);
              }
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  @Test
  void theValueStageRefusesMonteCarloOnAServerBeforeAnyRecord(TestPipeline pipeline) {
    pipeline
        .apply(Create.of(group()).withCoder(TraceGroupCoder.of()))
        .apply(EstimateValues.of(ValueEstimator.MC, endpointSettings()));
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> pipeline.run().waitUntilFinish());
    String messages = "";
    for (Throwable t = e; t != null; t = t.getCause()) {
      messages += t.getMessage() + "\n";
    }
    assertThat(messages, containsString("--value-estimator=mc needs capability generation"));
  }

  @Test
  void aServerThatGoesDownFailsEveryTraceAsModelServerUnavailable() throws IOException {
    CompletionsServer doomed = CompletionsServer.start(policy, "doomed", 0);
    CompletionsBackend backend =
        CompletionsBackend.connect(
            doomed.url(),
            TinyPolicies.TOKENIZER,
            EndpointSettings.builder().optRetries(1).optBackoff(Duration.ofMillis(10)).build());
    doomed.close();
    TraceGroup group = group();
    List<ValueScorer.Outcome> outcomes =
        new ValueScorer(ValueEstimator.ANSWER, TinyPolicies.settings(store))
            .score(backend, group, group.traces(), ValueScorer.BatchObserver.NONE);
    assertEquals(3, outcomes.size());
    for (ValueScorer.Outcome outcome : outcomes) {
      assertThat(outcome.failure().reason(), equalTo("model-server-unavailable"));
      assertThat(outcome.failure().getMessage(), containsString("model-server-unavailable: "));
    }
  }

  @Test
  void estimatorsTheEndpointCannotServeAreRefusedAtStartUpWithTheMissingCapability() {
    PolicyHolder holder = PolicyHolder.acquire(endpointSettings());
    try (PolicyHolder.Lease lease = holder.lease(1)) {
      UnsupportedCapabilityException mc =
          assertThrows(
              UnsupportedCapabilityException.class,
              () -> ValueScorer.checkBackend(ValueEstimator.MC, lease.policy()));
      assertThat(
          mc.getMessage(), containsString("--value-estimator=mc needs capability generation"));
      assertThrows(
          UnsupportedCapabilityException.class,
          () -> ValueScorer.checkBackend(ValueEstimator.GRADIENT, lease.policy()));
      ValueScorer.checkBackend(ValueEstimator.BANK, lease.policy());
      ValueScorer.checkBackend(ValueEstimator.ANSWER, lease.policy());
    } finally {
      holder.release();
    }
  }

  @Test
  void familiesComeFromTheConfiguredRegistryAndUnknownOnesAreDeadLetters() throws IOException {
    Path file =
        Files.writeString(store.resolve("sums.jsonl"), "{\"question\":\"q\",\"answer\":\"37\"}\n");
    ModelSettings onlySums =
        ModelSettings.builder()
            .setCheckpointDir(store.toString())
            .optTaskFamilies("sums=" + file)
            .build();
    Rollout arith = TinyPolicies.rollout("g", 0, 2, TinyPolicies.CORRECT).build();
    Rollout sums =
        TinyPolicies.rollout("g", 1, 2, TinyPolicies.CORRECT).setTaskFamily("sums").build();
    TraceGroup group = TinyPolicies.group("g", 2, List.of(arith, sums));
    List<ValueScorer.Outcome> outcomes =
        new ValueScorer(ValueEstimator.ANSWER, onlySums)
            .score(policy, group, group.traces(), ValueScorer.BatchObserver.NONE);
    ValueScorer.Outcome unknown =
        outcomes.stream()
            .filter(o -> o.trace().rollout().getRolloutId().equals("g-r0"))
            .findFirst()
            .orElseThrow();
    assertThat(unknown.failure().reason(), equalTo("unknown-task-family"));
    assertThat(unknown.failure().getMessage(), containsString("known: sums"));
    ValueScorer.Outcome known =
        outcomes.stream()
            .filter(o -> o.trace().rollout().getRolloutId().equals("g-r1"))
            .findFirst()
            .orElseThrow();
    assertNull(known.failure());
    assertEquals(known.trace().boundaries().length, known.values().length);
  }
}
