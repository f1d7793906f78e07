package dev.rredcot.model.backend.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and writing safetensors: F32 round trip, F16 and BF16 widening, errors that name. */
class SafetensorsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void writesAndReadsFloat32Exactly() throws IOException {
    HostTensor t = new HostTensor(new long[] {2, 3}, new float[] {1, -2, 3.5f, 1e-7f, -0f, 42});
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, Map.of("w", t));
    // The data after the header starts 8-byte aligned, as the format's writers do it.
    long headerLength =
        ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8);
    HostTensor read = Safetensors.read(file).get("w");
    assertArrayEquals(new long[] {2, 3}, read.shape());
    assertArrayEquals(t.values(), read.values());
  }

  @Test
  void aTensorLargerThanTheWriteBufferRoundTrips() throws IOException {
    float[] values = new float[(1 << 18) + 3];
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 0.5f - 7;
    }
    Path file = dir.resolve("big.safetensors");
    Safetensors.write(file, Map.of("w", new HostTensor(new long[] {values.length}, values)));
    assertArrayEquals(values, Safetensors.read(file).get("w").values());
  }

  @Test
  void aModelOverTheShardLimitIsWrittenInShardsWithAnIndexAndReadsBack() throws IOException {
    Map<String, HostTensor> tensors = new TreeMap<>();
    for (String name : new String[] {"a", "b", "c"}) {
      float[] values = new float[10];
      java.util.Arrays.fill(values, name.charAt(0));
      tensors.put(name, new HostTensor(new long[] {2, 5}, values));
    }
    // 40 bytes a tensor, at most 80 a shard: a and b in the first, c in the second.
    List<Path> written = Safetensors.writeModel(dir, tensors, 80);
    assertEquals(
        List.of(
            dir.resolve("model-00001-of-00002.safetensors"),
            dir.resolve("model-00002-of-00002.safetensors"),
            dir.resolve(Safetensors.INDEX_FILE)),
        written);
    assertEquals(List.of("a", "b"), List.copyOf(Safetensors.read(written.get(0)).keySet()));
    var index = JSON.readTree(written.get(2).toFile());
    assertEquals(120, index.path("metadata").path("total_size").asLong());
    assertEquals("model-00002-of-00002.safetensors", index.path("weight_map").path("c").asText());
    Map<String, HostTensor> read = Safetensors.readModel(dir);
    assertEquals(tensors.keySet(), read.keySet());
    for (String name : tensors.keySet()) {
      assertArrayEquals(tensors.get(name).values(), read.get(name).values(), name);
    }
  }

  @Test
  void aModelWithinTheShardLimitIsOneFile() throws IOException {
    Map<String, HostTensor> tensors =
        Map.of("w", new HostTensor(new long[] {4}, new float[] {1, 2, 3, 4}));
    assertEquals(
        List.of(dir.resolve(Safetensors.SINGLE_FILE)),
        Safetensors.writeModel(dir, tensors, Safetensors.DEFAULT_MAX_SHARD_BYTES));
    assertTrue(Files.notExists(dir.resolve(Safetensors.INDEX_FILE)));
  }

  @Test
  void widensHalfAndBfloat16() throws IOException {
    // Values exact in both 16-bit formats, among them a negative and zero.
    float[] values = {1f, -2.5f, 0.0078125f, 63.5f, 0f};
    HostTensor t = new HostTensor(new long[] {values.length}, values);
    for (String dtype : new String[] {"F16", "BF16"}) {
      Path file = dir.resolve(dtype + ".safetensors");
      writeHalfPrecision(file, Map.of("w", t), dtype);
      assertArrayEquals(values, Safetensors.read(file).get("w").values(), dtype);
    }
    assertEquals(0x1p-24f, Safetensors.halfToFloat((short) 1));
    assertEquals(Float.NEGATIVE_INFINITY, Safetensors.halfToFloat((short) 0xfc00));
  }

  @Test
  void refusesAnUnsupportedDtypeNamingIt() throws IOException {
    Path file = dir.resolve("int.safetensors");
    ObjectNode header = JSON.createObjectNode();
    ObjectNode info = header.putObject("w");
    info.put("dtype", "I8");
    info.putArray("shape").add(2);
    info.putArray("data_offsets").add(0).add(2);
    byte[] json = JSON.writeValueAsBytes(header);
    ByteBuffer out = ByteBuffer.allocate(8 + json.length + 2).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(json.length).put(json).put((byte) 1).put((byte) 2);
    Files.write(file, out.array());
    IOException e = assertThrows(IOException.class, () -> Safetensors.read(file));
    assertTrue(e.getMessage().contains("I8"), e.getMessage());
  }

  @Test
  void refusesATruncatedFile() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Safetensors.write(file, Map.of("w", new HostTensor(new long[] {4}, new float[4])));
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 4));
    assertThrows(IOException.class, () -> Safetensors.read(file));
  }

  /**
   * Writes {@code tensors} as F16 or BF16 (round to nearest is not needed: test values are exact).
   */
  static void writeHalfPrecision(Path file, Map<String, HostTensor> tensors, String dtype)
      throws IOException {
    Map<String, HostTensor> sorted = new TreeMap<>(tensors);
    ObjectNode header = JSON.createObjectNode();
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : sorted.entrySet()) {
      ObjectNode info = header.putObject(e.getKey());
      info.put("dtype", dtype);
      var shape = info.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long bytes = 2L * e.getValue().values().length;
      info.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    ByteBuffer out = ByteBuffer.allocate((int) (8 + json.length + offset));
    out.order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json);
    for (HostTensor t : sorted.values()) {
      for (float v : t.values()) {
        out.putShort(dtype.equals("BF16") ? toBfloat16(v) : toHalf(v));
      }
    }
    Files.write(file, out.array());
  }

  /** bfloat16 by truncation: the Gaussian test weights need not round to nearest. */
  private static short toBfloat16(float v) {
    return (short) (Float.floatToIntBits(v) >>> 16);
  }

  private static short toHalf(float v) {
    int bits = Float.floatToIntBits(v);
    int sign = (bits >>> 16) & 0x8000;
    float magnitude = Math.abs(v);
    if (magnitude == 0) {
      return (short) sign;
    }
    if (magnitude < 0x1p-14f) {
      return (short) (sign | Math.round(magnitude / 0x1p-24f));
    }
    int exponent = ((bits >>> 23) & 0xff) - 112;
    return (short) (sign | (exponent << 10) | ((bits >>> 13) & 0x3ff));
  }
}
