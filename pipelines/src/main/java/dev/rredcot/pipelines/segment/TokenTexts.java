package dev.rredcot.pipelines.segment;

import dev.rredcot.schemas.Rollout;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-token strings of a rollout, for keyword segmentation. The project's policies use a character
 * tokenizer (one character = one token), so token t's text is character t of {@code Rollout.text};
 * a character is a Unicode code point, so one outside the basic plane (two UTF-16 chars, a
 * surrogate pair) is one token's text and is never split into halves. Tokens past the end of the
 * text (an end-of-sequence token the decoder drops) get the empty string and stay in the last
 * segment. Text with more characters than the token list cannot come from that tokenizer and is
 * rejected rather than guessed at. A multi-character tokenizer plugs in here through model-worker's
 * {@code Tokenizer.decode} per token once it exists.
 */
public final class TokenTexts {
  private TokenTexts() {}

  /** One string per token under the one-character (code point) per token mapping. */
  public static List<String> charPerToken(Rollout rollout) {
    String text = rollout.getText();
    int tokens = rollout.getTokenIds().size();
    int characters = text.codePointCount(0, text.length());
    if (characters > tokens) {
      throw new IllegalArgumentException(
          "text has "
              + characters
              + " characters but the trace only "
              + tokens
              + " tokens: not one character per token");
    }
    List<String> pieces = new ArrayList<>(tokens);
    int at = 0;
    for (int t = 0; t < tokens; t++) {
      if (at < text.length()) {
        int next = text.offsetByCodePoints(at, 1);
        pieces.add(text.substring(at, next));
        at = next;
      } else {
        pieces.add("");
      }
    }
    return pieces;
  }
}
