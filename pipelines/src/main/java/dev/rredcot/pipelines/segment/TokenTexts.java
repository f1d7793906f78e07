package dev.rredcot.pipelines.segment;

import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-token strings of a rollout, for keyword segmentation. The project's arith policy uses a
 * character tokenizer (one char = one token), so token t's text is character t of {@code
 * Rollout.text}; tokens past the end of the text (an end-of-sequence token the decoder drops) get
 * the empty string and stay in the last segment. Text longer than the token list cannot come from
 * that tokenizer and is rejected rather than guessed at. A multi-character tokenizer plugs in here
 * through model-worker's {@code Tokenizer.decode} per token once it exists.
 */
public final class TokenTexts {
  private TokenTexts() {}

  /** One string per token under the one-char-per-token mapping. */
  public static List<String> charPerToken(Rollout rollout) {
    String text = rollout.getText();
    int tokens = rollout.getTokenIds().size();
    if (text.length() > tokens) {
      throw new IllegalArgumentException(
          "text has "
              + text.length()
              + " chars but the trace only "
              + tokens
              + " tokens: not one char per token");
    }
    List<String> pieces = new ArrayList<>(tokens);
    for (int t = 0; t < tokens; t++) {
      pieces.add(t < text.length() ? String.valueOf(text.charAt(t)) : "");
    }
    return pieces;
  }
}
