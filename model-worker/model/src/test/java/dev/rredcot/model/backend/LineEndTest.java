package dev.rredcot.model.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.model.testing.RepositoryFiles;
import dev.rredcot.model.tokenizer.SentencePieceCharTokenizer;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A task family's line end other than a newline ({@code ". "}, for a model with no newline in its
 * vocabulary): the continuation bank aligns remainders on it and generation stops at the end of the
 * answer line it ends.
 */
class LineEndTest {
  private static final String END = ". ";

  private static BankRequest bank(List<List<String>> steps) {
    return new BankRequest(
        "Q: Ann had two cats. She got one more. ",
        new int[] {1, 2, 3},
        new int[] {0},
        steps,
        "A: ",
        "3. ",
        BankAggregation.SUM,
        BankRequest.RemainderRule.ALIGNED,
        END);
  }

  @Test
  void bankRemaindersAlignOnTheLineEnd() {
    BankRequest request = bank(List.of(List.of("Ann had two cats. ", "Two and one make three. ")));
    assertEquals(
        List.of("Ann had two cats. Two and one make three. A: 3. "),
        List.copyOf(request.remaindersAfter("")));
    assertEquals(
        List.of("Two and one make three. A: 3. "),
        List.copyOf(request.remaindersAfter("She had two cats. ")));
    // Inside a line ("2.5" has a period but no line end): every remainder of every bank text.
    assertEquals(3, request.remaindersAfter("It cost 2.5").size());
  }

  @Test
  void aBankStepMustEndWithTheLineEnd() {
    IllegalArgumentException error =
        assertThrows(IllegalArgumentException.class, () -> bank(List.of(List.of("Ann had\n"))));
    assertTrue(error.getMessage().contains("line end '. '"), error.getMessage());
  }

  @Test
  void generationStopsWhenTheAnswerLineEndsWithTheLineEnd() throws IOException {
    SentencePieceCharTokenizer tokenizer =
        SentencePieceCharTokenizer.read(RepositoryFiles.babyLlama().resolve("tok105.model"));
    GenerationOptions options = GenerationOptions.builder().optLineEnd(END).build();
    float[] logProbs = new float[tokenizer.vocabSize()];
    DecodeState state =
        new DecodeState(tokenizer.encode(" Q: x. "), tokenizer.encode("A"), tokenizer, 256);
    String written = ": 3. No more";
    for (int i = 0; i < written.length(); i++) {
      assertFalse(state.done(), "stopped before " + written.substring(i));
      state.accept(tokenizer.encode(written.substring(i, i + 1))[0], logProbs, options);
      if (written.startsWith(". ", i - 1)) {
        break;
      }
    }
    assertTrue(state.done());
    assertEquals(Sample.StopReason.ANSWER_LINE, state.toSample().stopReason());
    assertEquals(": 3. ", state.toSample().text());
  }

  @Test
  void aStepLineEndDoesNotStopGeneration() throws IOException {
    SentencePieceCharTokenizer tokenizer =
        SentencePieceCharTokenizer.read(RepositoryFiles.babyLlama().resolve("tok105.model"));
    GenerationOptions options = GenerationOptions.builder().optLineEnd(END).build();
    DecodeState state = new DecodeState(tokenizer.encode(" Q: x. "), new int[0], tokenizer, 256);
    for (char c : "Two cats. One more. ".toCharArray()) {
      state.accept(tokenizer.encode(String.valueOf(c))[0], new float[105], options);
    }
    assertFalse(state.done());
  }
}
