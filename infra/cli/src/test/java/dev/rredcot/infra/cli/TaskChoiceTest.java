package dev.rredcot.infra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.family.TaskChoice;
import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.tokenizer.CharTokenizer;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code --task} read once: a built-in family with its shipped policy, or a JSONL family. */
class TaskChoiceTest {
  private static final String STORIES =
      RepositoryFiles.path("infra/examples/babyllama-stories.jsonl").toString();

  @Test
  void aBuiltInNameIsTheFamilyItsShippedPolicyWasMadeFor() {
    TaskChoice countdown = TaskChoice.parse("countdown");
    assertEquals("countdown", countdown.name());
    assertEquals(Optional.of(BuiltInTask.COUNTDOWN), countdown.builtIn());
    assertEquals("arith,countdown", countdown.familiesSpec());
    assertEquals("initial", TaskChoice.parse("arith").shippedPolicyName());
  }

  @Test
  void aJsonlFileIsItsFamilyAddedToTheBuiltIns() {
    TaskChoice stories = TaskChoice.parse(STORIES);
    assertEquals("babyllama-stories", stories.name());
    assertEquals(Optional.empty(), stories.builtIn());
    assertEquals(". ", stories.family().lineEnd());
    assertEquals(Set.of("arith", "countdown", "babyllama-stories"), stories.registry().names());
    TaskChoice renamed = TaskChoice.parse("tales=" + STORIES);
    assertEquals("tales", renamed.name());
    IllegalArgumentException demo =
        assertThrows(IllegalArgumentException.class, () -> stories.requireBuiltIn("demo"));
    assertTrue(
        demo.getMessage().startsWith("demo runs arith or countdown only"), demo.getMessage());
  }

  @Test
  void unwritableNamesTheCharacterAPolicysTokenizerLacks() {
    Optional<String> why = TaskChoice.parse(STORIES).unwritable(CharTokenizer.arithmetic());
    assertTrue(why.isPresent() && why.get().contains("cannot map character"), why.toString());
    assertEquals(
        Optional.empty(), TaskChoice.parse("arith").unwritable(CharTokenizer.arithmetic()));
  }

  @Test
  void anUnknownNameOrAMissingFileSaysWhatToUse() {
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> TaskChoice.parse("chess"));
    assertEquals(
        "unknown task 'chess': use arith, countdown or a JSONL family FILE.jsonl",
        unknown.getMessage());
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> TaskChoice.parse("/no/such.jsonl"));
    assertTrue(missing.getMessage().contains("/no/such.jsonl"), missing.getMessage());
  }
}
