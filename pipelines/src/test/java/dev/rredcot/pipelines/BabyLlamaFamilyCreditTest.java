package dev.rredcot.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.backend.GenerationOptions;
import dev.rredcot.model.backend.GenerationRequest;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.Sample;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.task.JsonlTaskFamily;
import dev.rredcot.model.task.Problem;
import dev.rredcot.model.task.Verification;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.pipelines.record.RawRecord;
import dev.rredcot.pipelines.record.RawRecordCoder;
import dev.rredcot.pipelines.testing.FamilyCreditChecks;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.WithFailures;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22, item 3: the real BabyLlama model credits rollouts of a task family its vocabulary can
 * write (no newline, no {@code =}): the shipped example {@code
 * infra/examples/babyllama-stories.jsonl} (lines end with {@code ". "}, rewards by the example
 * {@code NumberWordReward} loaded by name), through the whole credit job with {@code --model
 * models/babyllama-tok105 --taskFamilies=<that file>}, as {@code ./rredcot pipeline} runs it. Each
 * group holds the reference solution, a correct trace answering in words, a wrong one and one the
 * model wrote itself after the solution's first line; every record is credited, with no dead
 * letter, and keeps return equivalence.
 */
@Tag("slow")
@ExtendWith(TestPipelineExtension.class)
class BabyLlamaFamilyCreditTest {
  /** Tests run in the module's directory. */
  private static final Path MODEL = RepositoryFiles.babyLlama();

  private static final Path FAMILY = RepositoryFiles.path("infra/examples/babyllama-stories.jsonl");

  @TempDir Path store;

  @Test
  void creditsEveryRolloutOfTheFamilyReturnEquivalentlyWithNoDeadLetter(TestPipeline pipeline)
      throws IOException {
    assertTrue(Files.isDirectory(MODEL), "model not found at " + MODEL.toAbsolutePath());
    JsonlTaskFamily family = JsonlTaskFamily.load(FAMILY);
    List<RawRecord> records = new ArrayList<>();
    Map<String, String> textById = new HashMap<>();
    try (PolicyBackend model = BackendKinds.open(MODEL)) {
      long offset = 0;
      for (long seed : new long[] {0, 1}) {
        Problem problem = family.generate(seed);
        String firstLine = family.splitSteps(problem.solution()).get(0);
        String wordAnswer =
            problem.solution().replace("A: " + problem.answer() + ". ", "A: three. ");
        String[] texts = {
          problem.solution(),
          wordAnswer,
          firstLine + "Then it was time for bed. A: seven. ",
          firstLine + written(model, problem.prompt(), firstLine, seed)
        };
        String groupId = "story-" + seed;
        for (int i = 0; i < texts.length; i++) {
          Rollout rollout = rollout(model, family, problem, groupId, i, texts.length, texts[i]);
          textById.put(rollout.getRolloutId(), texts[i]);
          records.add(TestRollouts.raw(rollout, offset++));
        }
      }
    }

    CreditPipelineOptions options = PipelineOptionsFactory.as(CreditPipelineOptions.class);
    options.setModel(MODEL.toString());
    options.setTaskFamilies(FAMILY.toString());
    options.setCheckpointDir(store.toString());
    options.setTrustedKeys("none");
    options.setCredit("rredcot");
    WithFailures.Result<PCollection<CreditedRollout>, DeadLetter> result =
        pipeline
            .apply(Create.of(records).withCoder(RawRecordCoder.of()))
            .apply(CreditRollouts.of(CreditSettings.fromOptions(options)));
    PAssert.that(result.failures()).empty();
    String lineEnd = family.lineEnd(); // the check is serialized: no family in it
    PAssert.that(result.output())
        .satisfies(
            credited -> {
              FamilyCreditChecks.assertCreditedReturnEquivalently(
                  credited, textById, "bank", lineEnd);
              return null;
            });
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    Map<String, Long> counters = CreditPipeline.counters(run);
    assertEquals(8L, counters.get("rollouts-credited"), counters.toString());
    assertFalse(
        counters.keySet().stream().anyMatch(name -> name.startsWith("dead-letters/")),
        counters.toString());
  }

  /** What the model writes after the prompt and {@code forced}, sampled, 32 tokens at most. */
  private static String written(PolicyBackend model, String prompt, String forced, long seed) {
    Sample sample =
        model
            .generate(
                List.of(new GenerationRequest(prompt, model.tokenizer().encode(forced))),
                GenerationOptions.builder()
                    .optTemperature(0.8)
                    .optMaxTokens(32)
                    .optSeed(seed)
                    .optLineEnd(". ")
                    .build())
            .get(0);
    String text = sample.text();
    assertNotEquals("", text);
    return text;
  }

  /** A rollout of {@code text}, in the model's token ids, with the family's verified reward. */
  private static Rollout rollout(
      PolicyBackend model,
      JsonlTaskFamily family,
      Problem problem,
      String groupId,
      int index,
      int groupSize,
      String text) {
    List<Integer> tokens = new ArrayList<>();
    List<Float> logProbs = new ArrayList<>();
    for (int id : model.tokenizer().encode(text)) {
      tokens.add(id);
      logProbs.add(-1f);
    }
    Verification verdict = family.verify(problem, text);
    return Rollout.newBuilder()
        .setRolloutId(groupId + "-r" + index)
        .setPromptId(problem.id())
        .setGroupId(groupId)
        .setSampleIndex(index)
        .setGroupSize(groupSize)
        .setPolicyVersion(1L)
        .setTaskFamily(family.name())
        .setPromptText(problem.prompt())
        .setTokenIds(tokens)
        .setText(text)
        .setLogProbs(logProbs)
        .setExtractedAnswer(verdict.extractedAnswer().orElse(null))
        .setReferenceAnswer(problem.answer())
        .setReferenceSolution(problem.solution())
        .setReward(verdict.reward())
        .setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_000L))
        .build();
  }
}
