package dev.rredcot.model.backend.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian tensors. F32 is read
 * as is, F16 and BF16 are widened to float32; F32 is written, as one file or in shards with an
 * index.
 */
public final class Safetensors {

  /** A model's single weights file. */
  public static final String SINGLE_FILE = "model.safetensors";

  /** The index of a sharded model: {@code weight_map} from tensor name to shard file. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private static final ObjectMapper JSON = new ObjectMapper();
  // A header larger than this is not a model header but a corrupt length.
  private static final long MAX_HEADER_BYTES = 100L << 20;
  // Tensor data is written through a buffer this large, whatever the file's size.
  private static final int WRITE_CHUNK_BYTES = 1 << 20;

  private Safetensors() {}

  /**
   * Every tensor of a model directory: {@value #SINGLE_FILE}, or the shards {@value #INDEX_FILE}
   * names.
   *
   * @throws IOException when a file is missing, malformed or holds an unsupported dtype
   */
  public static Map<String, HostTensor> readModel(Path dir) throws IOException {
    Path index = dir.resolve(INDEX_FILE);
    if (!Files.isRegularFile(index)) {
      return read(dir.resolve(SINGLE_FILE));
    }
    JsonNode weightMap = JSON.readTree(index.toFile()).path("weight_map");
    if (!weightMap.isObject()) {
      throw new IOException(index + ": no weight_map object");
    }
    Map<String, HostTensor> tensors = new TreeMap<>();
    for (String shard : new java.util.TreeSet<>(valuesOf(weightMap))) {
      tensors.putAll(read(dir.resolve(shard)));
    }
    Iterator<String> names = weightMap.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!tensors.containsKey(name)) {
        throw new IOException(index + " maps " + name + " to a shard that does not hold it");
      }
    }
    return tensors;
  }

  private static java.util.List<String> valuesOf(JsonNode object) {
    java.util.List<String> values = new java.util.ArrayList<>();
    object.elements().forEachRemaining(v -> values.add(v.asText()));
    return values;
  }

  /**
   * The tensors of one safetensors file, by name.
   *
   * @throws IOException when the file is malformed or holds an unsupported dtype
   */
  public static Map<String, HostTensor> read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0, file);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
        throw new IOException(file + ": bad safetensors header length " + headerLength);
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8, file);
      JsonNode header =
          JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8).trim());
      long dataStart = 8 + headerLength;
      Map<String, HostTensor> tensors = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> entry = fields.next();
        if (entry.getKey().equals("__metadata__")) {
          continue;
        }
        tensors.put(entry.getKey(), tensor(channel, file, entry, dataStart, size));
      }
      return tensors;
    }
  }

  private static HostTensor tensor(
      FileChannel channel, Path file, Map.Entry<String, JsonNode> entry, long dataStart, long size)
      throws IOException {
    JsonNode info = entry.getValue();
    String dtype = info.path("dtype").asText();
    int width =
        switch (dtype) {
          case "F32" -> 4;
          case "F16", "BF16" -> 2;
          default ->
              throw new IOException(
                  file
                      + ": tensor "
                      + entry.getKey()
                      + " has unsupported dtype "
                      + dtype
                      + " (supported: F32, F16, BF16)");
        };
    JsonNode shapeNode = info.path("shape");
    long[] shape = new long[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong();
      count *= shape[i];
    }
    long begin = info.path("data_offsets").path(0).asLong(-1);
    long end = info.path("data_offsets").path(1).asLong(-1);
    if (begin < 0 || end - begin != count * width || dataStart + end > size) {
      throw new IOException(
          file + ": tensor " + entry.getKey() + " has data_offsets that do not fit its shape");
    }
    ByteBuffer raw =
        ByteBuffer.allocate(Math.toIntExact(end - begin)).order(ByteOrder.LITTLE_ENDIAN);
    readFully(channel, raw, dataStart + begin, file);
    raw.flip();
    float[] values = new float[(int) count];
    for (int i = 0; i < values.length; i++) {
      values[i] =
          switch (dtype) {
            case "F32" -> raw.getFloat();
            // bfloat16 is the top half of a float32.
            case "BF16" -> Float.intBitsToFloat((raw.getShort() & 0xffff) << 16);
            default -> halfToFloat(raw.getShort());
          };
    }
    return new HostTensor(shape, values);
  }

  /** IEEE 754 binary16 to float32 (Java 17 has no {@code Float.float16ToFloat}). */
  static float halfToFloat(short half) {
    int sign = (half & 0x8000) << 16;
    int exponent = (half >>> 10) & 0x1f;
    int mantissa = half & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      // Subnormal (or zero): mantissa * 2^-24.
      float magnitude = mantissa * 0x1p-24f;
      return sign != 0 ? -magnitude : magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position, Path file)
      throws IOException {
    long at = position;
    while (into.hasRemaining()) {
      int n = channel.read(into, at);
      if (n < 0) {
        throw new IOException(file + ": ends early (truncated safetensors file)");
      }
      at += n;
    }
  }

  /**
   * Largest shard {@link #writeModel} writes: Hugging Face's default for {@code save_pretrained} (5
   * GB). A model no larger is one {@value #SINGLE_FILE}.
   */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  /**
   * Writes {@code tensors} into model directory {@code dir} as F32 safetensors: one {@value
   * #SINGLE_FILE} when their data fits in {@code maxShardBytes}, else shards {@code
   * model-00001-of-0000N.safetensors} (tensors in name order, a new shard when the next tensor
   * would overflow the current one; a tensor larger than the limit gets a shard of its own) and the
   * index {@value #INDEX_FILE} with {@code metadata.total_size} and {@code weight_map}, as Hugging
   * Face writes them and {@link #readModel} reads them.
   *
   * @return the files written, in order (the index last)
   * @throws IOException when a file cannot be written
   */
  public static List<Path> writeModel(Path dir, Map<String, HostTensor> tensors, long maxShardBytes)
      throws IOException {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
    }
    List<Map<String, HostTensor>> shards = new ArrayList<>();
    long total = 0;
    long inShard = 0;
    for (Map.Entry<String, HostTensor> e : new TreeMap<>(tensors).entrySet()) {
      long bytes = 4L * e.getValue().values().length;
      if (shards.isEmpty() || (inShard > 0 && inShard + bytes > maxShardBytes)) {
        shards.add(new TreeMap<>());
        inShard = 0;
      }
      shards.get(shards.size() - 1).put(e.getKey(), e.getValue());
      inShard += bytes;
      total += bytes;
    }
    if (shards.size() <= 1) {
      Path file = dir.resolve(SINGLE_FILE);
      write(file, tensors);
      return List.of(file);
    }
    List<Path> written = new ArrayList<>();
    ObjectNode index = JSON.createObjectNode();
    index.putObject("metadata").put("total_size", total);
    ObjectNode weightMap = index.putObject("weight_map");
    for (int i = 0; i < shards.size(); i++) {
      String name =
          String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
      Path file = dir.resolve(name);
      write(file, shards.get(i));
      shards.get(i).keySet().forEach(tensor -> weightMap.put(tensor, name));
      written.add(file);
    }
    Path indexFile = dir.resolve(INDEX_FILE);
    Files.write(indexFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
    written.add(indexFile);
    return written;
  }

  /**
   * Writes {@code tensors} as one F32 safetensors file, in name order, streaming the data (a file
   * may be larger than one Java array).
   *
   * @throws IOException when the file cannot be written
   */
  public static void write(Path file, Map<String, HostTensor> tensors) throws IOException {
    Map<String, HostTensor> sorted = new TreeMap<>(tensors);
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : sorted.entrySet()) {
      ObjectNode info = header.putObject(e.getKey());
      info.put("dtype", "F32");
      var shape = info.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long bytes = 4L * e.getValue().values().length;
      info.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    // The format pads the header with spaces so the data starts 8-byte aligned.
    int padded = (json.length + 7) / 8 * 8;
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(padded).put(json);
      while (head.hasRemaining()) {
        head.put((byte) ' ');
      }
      writeFully(channel, head.flip());
      ByteBuffer chunk = ByteBuffer.allocate(WRITE_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (HostTensor t : sorted.values()) {
        for (float v : t.values()) {
          if (!chunk.hasRemaining()) {
            writeFully(channel, chunk.flip());
            chunk.clear();
          }
          chunk.putFloat(v);
        }
      }
      writeFully(channel, chunk.flip());
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
