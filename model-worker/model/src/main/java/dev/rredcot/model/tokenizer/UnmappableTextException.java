package dev.rredcot.model.tokenizer;

/** Thrown when a tokenizer cannot map some part of a text to token ids. */
public class UnmappableTextException extends RuntimeException {

  private final int position;

  /** Creates the exception for the character at {@code position} (a char index in the text). */
  public UnmappableTextException(String message, int position) {
    super(message);
    this.position = position;
  }

  /** Char index in the text of the first unmappable character, or -1 if unknown. */
  public int position() {
    return position;
  }
}
