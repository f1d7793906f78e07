package dev.rredcot.infra.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.task.CountdownTask;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code eval credit --level}: the rollouts come from the named countdown level's problems. */
class CreditEvaluationOptionsTest {
  private static final Path OUT = Path.of("unused");

  @Test
  void aNamedCountdownLevelGivesItsProblemsAtItsOwnMoves() {
    CreditEvaluationOptions options =
        CreditEvaluationOptions.builder()
            .setOutDir(OUT)
            .optTask(BuiltInTask.COUNTDOWN)
            .optCountdownLevel("wide")
            .build();
    assertEquals(List.of(3), options.levels());
    CountdownTask task = (CountdownTask) options.atLevel(3);
    assertEquals(CountdownTask.Config.wide().canonical(), task.config().canonical());
    CreditEvaluationOptions deep =
        CreditEvaluationOptions.builder()
            .setOutDir(OUT)
            .optTask(BuiltInTask.COUNTDOWN)
            .optCountdownLevel("deep")
            .build();
    assertEquals(List.of(4), deep.levels());
    CountdownTask.Instance instance =
        CountdownTask.Instance.parsePrompt(deep.atLevel(4).generateHeldOut(7).prompt());
    assertEquals(5, instance.numbers().size());
  }

  @Test
  void withoutALevelTheShippedPolicysProblemsAreUsed() {
    CreditEvaluationOptions options =
        CreditEvaluationOptions.builder().setOutDir(OUT).optTask(BuiltInTask.COUNTDOWN).build();
    assertEquals(
        CountdownTask.Config.forks().canonical(),
        ((CountdownTask) options.atLevel(3)).config().canonical());
  }

  @Test
  void aLevelNeedsTheCountdownTaskAndAKnownName() {
    IllegalArgumentException arith =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CreditEvaluationOptions.builder().setOutDir(OUT).optCountdownLevel("wide").build());
    assertTrue(arith.getMessage().contains("--task countdown"), arith.getMessage());
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CreditEvaluationOptions.builder()
                    .setOutDir(OUT)
                    .optTask(BuiltInTask.COUNTDOWN)
                    .optCountdownLevel("hard")
                    .build());
    assertTrue(unknown.getMessage().contains("deep"), unknown.getMessage());
  }
}
