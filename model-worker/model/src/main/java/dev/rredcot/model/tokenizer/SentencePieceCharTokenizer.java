package dev.rredcot.model.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A sentencepiece vocabulary whose ordinary pieces are single characters (llama2.c's small
 * character-level models, e.g. BabyLlama tok105), read by the project from the sentencepiece model
 * ({@code .model}, protobuf) or its text vocabulary ({@code .vocab}: piece, tab, score).
 *
 * <p>Encoding maps every character to its piece, a space to the word-boundary piece {@code ▁}
 * (U+2581); it adds no dummy prefix by itself, because the policy encodes prompts, cues and answers
 * separately and concatenates them: {@link #encodeWithDummyPrefix} gives sentencepiece's encoding
 * of a whole text (a leading {@code ▁}). A character outside the vocabulary is refused ({@link
 * UnmappableTextException}) rather than mapped to {@code <unk>} as llama2.c does, so a task whose
 * text the model cannot write fails where it starts. The vocabulary has no padding piece: {@code
 * <unk>} pads, which is never attended to nor sampled.
 */
public final class SentencePieceCharTokenizer implements Tokenizer {

  /** File name {@link #save} writes and {@link Tokenizer#load} recognises. */
  public static final String FILE_NAME = "tokenizer.model";

  private static final char WORD_BOUNDARY = '\u2581';
  // sentencepiece's ModelProto.SentencePiece.Type values.
  private static final int TYPE_NORMAL = 1;
  private static final int TYPE_UNKNOWN = 2;
  private static final int TYPE_CONTROL = 3;
  private static final int TYPE_USER_DEFINED = 4;

  private final byte[] modelBytes;
  private final String name;
  private final List<String> pieces;
  private final Map<Character, Integer> idByChar;
  private final int unknownId;
  private final int bosId;
  private final int eosId;

  private SentencePieceCharTokenizer(
      String name, List<String> pieces, List<Integer> types, byte[] modelBytes) throws IOException {
    this.name = name;
    this.pieces = List.copyOf(pieces);
    this.modelBytes = modelBytes;
    Map<Character, Integer> ids = new HashMap<>();
    int unk = -1;
    int bos = -1;
    int eos = -1;
    for (int id = 0; id < pieces.size(); id++) {
      String piece = pieces.get(id);
      int type = types.get(id);
      if (type == TYPE_UNKNOWN || (type == TYPE_CONTROL && piece.equals("<unk>"))) {
        unk = id;
      } else if (piece.equals("<s>")) {
        bos = id;
      } else if (piece.equals("</s>")) {
        eos = id;
      } else if (type == TYPE_NORMAL || type == TYPE_USER_DEFINED) {
        if (piece.length() != 1) {
          throw new IOException(
              name
                  + ": piece "
                  + id
                  + " '"
                  + piece
                  + "' has more than one character; only character-level sentencepiece"
                  + " vocabularies are supported (use the model's tokenizer.json for others)");
        }
        char c = piece.charAt(0) == WORD_BOUNDARY ? ' ' : piece.charAt(0);
        ids.put(c, id);
      }
    }
    if (unk < 0 || bos < 0 || eos < 0) {
      throw new IOException(name + ": the vocabulary lacks <unk>, <s> or </s>");
    }
    this.idByChar = Map.copyOf(ids);
    this.unknownId = unk;
    this.bosId = bos;
    this.eosId = eos;
  }

  /**
   * Reads a sentencepiece model ({@code .model}, protobuf) or text vocabulary ({@code .vocab}).
   *
   * @throws IOException when the file cannot be read or is not a character-level vocabulary
   */
  public static SentencePieceCharTokenizer read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    List<String> pieces = new ArrayList<>();
    List<Integer> types = new ArrayList<>();
    String name = "sentencepiece:" + file.getFileName();
    if (file.getFileName().toString().endsWith(".vocab")) {
      for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n", -1)) {
        if (line.isEmpty()) {
          continue;
        }
        String piece =
            line.substring(0, line.indexOf('\t') < 0 ? line.length() : line.indexOf('\t'));
        pieces.add(piece);
        // The text vocabulary carries no types: the three specials are known by name.
        types.add(
            piece.equals("<unk>")
                ? TYPE_UNKNOWN
                : piece.equals("<s>") || piece.equals("</s>") ? TYPE_CONTROL : TYPE_NORMAL);
      }
      return new SentencePieceCharTokenizer(name, pieces, types, null);
    }
    try {
      readModelProto(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), pieces, types);
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a sentencepiece model: " + e.getMessage(), e);
    }
    return new SentencePieceCharTokenizer(name, pieces, types, bytes);
  }

  /** ModelProto: field 1 is the repeated SentencePiece {1: piece, 2: score, 3: type}. */
  private static void readModelProto(ByteBuffer in, List<String> pieces, List<Integer> types) {
    while (in.hasRemaining()) {
      long key = varint(in);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 1 && wire == 2) {
        ByteBuffer piece = slice(in);
        String text = null;
        int type = TYPE_NORMAL;
        while (piece.hasRemaining()) {
          long pieceKey = varint(piece);
          int pieceField = (int) (pieceKey >>> 3);
          int pieceWire = (int) (pieceKey & 7);
          if (pieceField == 1 && pieceWire == 2) {
            ByteBuffer utf8 = slice(piece);
            byte[] raw = new byte[utf8.remaining()];
            utf8.get(raw);
            text = new String(raw, StandardCharsets.UTF_8);
          } else if (pieceField == 3 && pieceWire == 0) {
            type = (int) varint(piece);
          } else {
            skip(piece, pieceWire);
          }
        }
        if (text == null) {
          throw new IllegalArgumentException("a piece without text at id " + pieces.size());
        }
        pieces.add(text);
        types.add(type);
      } else {
        skip(in, wire);
      }
    }
  }

  private static long varint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("varint longer than 10 bytes");
  }

  private static ByteBuffer slice(ByteBuffer in) {
    int length = Math.toIntExact(varint(in));
    ByteBuffer part = in.slice().order(ByteOrder.LITTLE_ENDIAN).limit(length);
    in.position(in.position() + length);
    return part;
  }

  private static void skip(ByteBuffer in, int wire) {
    switch (wire) {
      case 0 -> varint(in);
      case 1 -> in.position(in.position() + 8);
      case 2 -> slice(in);
      case 5 -> in.position(in.position() + 4);
      default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wire);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int vocabSize() {
    return pieces.size();
  }

  /** {@code <unk>}: the vocabulary has no padding piece. */
  @Override
  public int padId() {
    return unknownId;
  }

  @Override
  public int bosId() {
    return bosId;
  }

  @Override
  public int eosId() {
    return eosId;
  }

  @Override
  public int[] encode(String text) {
    int[] ids = new int[text.length()];
    for (int i = 0; i < text.length(); i++) {
      Integer id = idByChar.get(text.charAt(i));
      if (id == null) {
        throw new UnmappableTextException(
            String.format(
                "cannot map character '%s' (U+%04X) at position %d: not in %s",
                text.charAt(i), (int) text.charAt(i), i, name),
            i);
      }
      ids[i] = id;
    }
    return ids;
  }

  /** Sentencepiece's encoding of a whole text: the dummy-prefix {@code ▁}, then {@link #encode}. */
  public int[] encodeWithDummyPrefix(String text) {
    return encode(" " + text);
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder text = new StringBuilder(ids.length);
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      if (id < 0 || id >= pieces.size()) {
        throw new IllegalArgumentException(
            "token id " + id + " at position " + i + " is outside [0, " + pieces.size() + ")");
      }
      if (id == unknownId || id == bosId || id == eosId) {
        continue;
      }
      String piece = pieces.get(id);
      text.append(piece.charAt(0) == WORD_BOUNDARY ? " " : piece);
    }
    return text.toString();
  }

  /** Writes the sentencepiece model as {@value #FILE_NAME}; a text vocabulary cannot be saved. */
  @Override
  public void save(Path dir) throws IOException {
    if (modelBytes == null) {
      throw new IOException(
          name + " was read from a text vocabulary; save needs the sentencepiece .model file");
    }
    Files.write(dir.resolve(FILE_NAME), modelBytes);
  }
}
