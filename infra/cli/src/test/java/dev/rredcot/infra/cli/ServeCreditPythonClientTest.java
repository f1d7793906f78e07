package dev.rredcot.infra.cli;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rredcot.model.backend.endpoint.CompletionsServer;
import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.grpo.GroupAdvantages;
import dev.rredcot.model.policy.Policy;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.testing.TinyPolicy;
import dev.rredcot.pipelines.CreditSettings;
import dev.rredcot.pipelines.advantage.AdvantageRule;
import dev.rredcot.pipelines.advantage.TokenAdvantages;
import dev.rredcot.pipelines.credit.CreditedTrace;
import dev.rredcot.pipelines.endpoint.CreditEndpoint;
import dev.rredcot.pipelines.group.TraceGroup;
import dev.rredcot.pipelines.segment.SegmentationSettings;
import dev.rredcot.pipelines.segment.SegmentationStrategy;
import dev.rredcot.pipelines.value.ModelSettings;
import dev.rredcot.pipelines.value.ValueEstimator;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client ({@code clients/python/rredcot_credit.py}) run by Debian's python3 against the
 * server {@code rredcot serve} starts (in process, on loopback, with a tiny random policy): its
 * credit for a group equals GroupCreditor's for the same group within 1e-6, and a refused request
 * reaches the caller with the field to fix.
 */
class ServeCreditPythonClientTest {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path CLIENT = RepositoryFiles.path("clients/python/rredcot_credit.py");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROMPT = "Q: 12+30-5\n";
  private static final String CORRECT = "12+30=42\n42-5=37\nA: 37\n";
  private static final String WRONG = "12+30=42\n42-5=38\nA: 38\n";
  private static final String WRONG_TOO = "12+30=41\n41-5=36\nA: 36\n";
  private static final String[] TEXTS = {CORRECT, WRONG, CORRECT, WRONG_TOO};

  @TempDir static Path store;
  @TempDir static Path work;
  private static Policy policy;
  private static CompletionsServer server;

  @BeforeAll
  static void serve() throws IOException {
    Checkpoint checkpoint = TinyPolicy.save(store, 1, 96, 11);
    policy = Policy.load(checkpoint);
    server =
        ServeCommand.start(
            policy, "tiny", store.toString(), 0, "", CreditEndpoint.DEFAULT_MAX_BODY_BYTES);
  }

  @AfterAll
  static void stop() {
    server.close();
    policy.close();
  }

  /** The group file the client reads: traces as text and as token ids. */
  private static ObjectNode group(ObjectNode options) {
    ObjectNode body = JSON.createObjectNode();
    body.put("group_id", "g");
    body.put("prompt", PROMPT);
    ArrayNode traces = body.putArray("traces");
    ArrayNode rewards = body.putArray("rewards");
    for (int i = 0; i < TEXTS.length; i++) {
      if (i % 2 == 0) {
        traces.add(TEXTS[i]);
      } else {
        ArrayNode ids = traces.addArray();
        for (int id : TinyPolicy.TOKENIZER.encode(TEXTS[i])) {
          ids.add(id);
        }
      }
      rewards.add(TEXTS[i].equals(CORRECT) ? 1.0 : 0.0);
    }
    body.put("task_family", "arith");
    body.put("reference_answer", "37");
    body.put("reference_solution", CORRECT);
    if (options != null) {
      body.set("options", options);
    }
    return body;
  }

  private static List<Rollout> rollouts() {
    List<Rollout> rollouts = new ArrayList<>();
    for (int i = 0; i < TEXTS.length; i++) {
      List<Integer> ids = new ArrayList<>();
      List<Float> logProbs = new ArrayList<>();
      for (int id : TinyPolicy.TOKENIZER.encode(TEXTS[i])) {
        ids.add(id);
        logProbs.add(-1f);
      }
      rollouts.add(
          Rollout.newBuilder()
              .setRolloutId("g-" + i)
              .setPromptId("g")
              .setGroupId("g")
              .setSampleIndex(i)
              .setGroupSize(TEXTS.length)
              .setPolicyVersion(1L)
              .setPromptText(PROMPT)
              .setTokenIds(ids)
              .setText(TEXTS[i])
              .setLogProbs(logProbs)
              .setReferenceAnswer("37")
              .setReferenceSolution(CORRECT)
              .setReward(TEXTS[i].equals(CORRECT) ? 1.0 : 0.0)
              .setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_000L))
              .build());
    }
    return rollouts;
  }

  private record Run(int exitCode, String out, String err) {}

  private static Run runClient(ObjectNode group, String... flags)
      throws IOException, InterruptedException {
    assumeTrue(
        Files.isExecutable(PYTHON), "Debian's /usr/bin/python3 is not installed: client not run");
    Path file = Files.createTempFile(work, "group", ".json");
    Files.writeString(file, group.toString());
    Path out = work.resolve(file.getFileName() + ".out");
    Path err = work.resolve(file.getFileName() + ".err");
    // -B: no __pycache__ written into the repository's clients/ directory.
    List<String> command =
        new ArrayList<>(
            List.of(PYTHON.toString(), "-B", CLIENT.toString(), "--url", server.url().toString()));
    command.addAll(List.of(flags));
    command.add(file.toString());
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the client did not finish in 120 s");
    return new Run(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  private static void assertClientEqualsGroupCreditor(ObjectNode options, CreditSettings settings)
      throws Exception {
    Run run = runClient(group(options));
    assertEquals(0, run.exitCode(), run.err());
    JsonNode traces = JSON.readTree(run.out()).get("traces");
    List<Rollout> rollouts = rollouts();
    List<CreditedTrace> expected =
        settings.creditor().credit(policy, TraceGroup.of("g", rollouts.size(), true, rollouts));
    assertEquals(expected.size(), traces.size());
    for (int i = 0; i < expected.size(); i++) {
      CreditedTrace want = expected.get(i);
      JsonNode got = traces.get(i);
      assertTrue(want.succeeded(), want.toString());
      assertFalse(got.has("error"), got.toString());
      assertArrayEquals(want.boundaries(), ints(got.get("token_boundaries")), "trace " + i);
      assertArrayEquals(want.values(), doubles(got.get("boundary_values")), 1e-6, "trace " + i);
      assertArrayEquals(
          want.segmentRewards(), doubles(got.get("segment_rewards")), 1e-6, "trace " + i);
      float[] advantages = want.advantages();
      double[] gotAdvantages = doubles(got.get("token_advantages"));
      assertEquals(advantages.length, gotAdvantages.length, "trace " + i);
      for (int t = 0; t < advantages.length; t++) {
        assertEquals(advantages[t], gotAdvantages[t], 1e-6, "trace " + i + " token " + t);
      }
    }
    // What a training loop reads: token_advantages(), one list per trace.
    Run advantagesOnly = runClient(group(options), "--advantages");
    assertEquals(0, advantagesOnly.exitCode(), advantagesOnly.err());
    JsonNode lists = JSON.readTree(advantagesOnly.out());
    assertEquals(expected.size(), lists.size());
    for (int i = 0; i < expected.size(); i++) {
      float[] advantages = expected.get(i).advantages();
      double[] got = doubles(lists.get(i));
      assertEquals(advantages.length, got.length);
      for (int t = 0; t < advantages.length; t++) {
        assertEquals(advantages[t], got[t], 1e-6, "trace " + i + " token " + t);
      }
    }
  }

  @Test
  void clientCreditWithTheDefaultPresetEqualsGroupCreditor() throws Exception {
    assertClientEqualsGroupCreditor(
        null,
        settings(
            AdvantageRule.RREDCOT_RUDDER_CALIBRATED,
            ValueEstimator.BANK,
            SegmentationSettings.builder().setStrategy(SegmentationStrategy.HYBRID).build()));
  }

  @Test
  void clientCreditWithRudderAndAnswerValuesEqualsGroupCreditor() throws Exception {
    ObjectNode options = JSON.createObjectNode();
    options.put("credit_method", "rredcot-rudder");
    options.put("value_estimator", "answer");
    options.put("target_segments", 2);
    assertClientEqualsGroupCreditor(
        options,
        settings(
            AdvantageRule.RREDCOT_RUDDER,
            ValueEstimator.ANSWER,
            SegmentationSettings.builder()
                .setStrategy(SegmentationStrategy.HYBRID)
                .optTargetSegments(2)
                .build()));
  }

  @Test
  void aRefusedRequestReachesTheCallerWithTheField() throws Exception {
    ObjectNode group = group(null);
    ((ArrayNode) group.get("rewards")).set(1, JSON.getNodeFactory().numberNode(1.0));
    Run run = runClient(group);
    assertEquals(2, run.exitCode(), run.out() + run.err());
    JsonNode error = JSON.readTree(run.err());
    assertEquals(400, error.get("status").asInt());
    assertEquals("rewards[1]", error.get("field").asText());
    assertEquals("reward-mismatch", error.get("reason").asText());
    assertThat(error.get("message").asText(), containsString("verifies"));
  }

  private static CreditSettings settings(
      AdvantageRule rule, ValueEstimator estimator, SegmentationSettings segmentation) {
    return CreditSettings.builder()
        .optSegmentation(segmentation)
        .optValueEstimator(estimator)
        .optModel(ModelSettings.builder().setCheckpointDir(store.toString()).build())
        .optAdvantages(new TokenAdvantages.Settings(rule, GroupAdvantages.DEFAULT_EPSILON, 2.0))
        .build();
  }

  private static int[] ints(JsonNode array) {
    int[] values = new int[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asInt();
    }
    return values;
  }

  private static double[] doubles(JsonNode array) {
    double[] values = new double[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asDouble();
    }
    return values;
  }
}
