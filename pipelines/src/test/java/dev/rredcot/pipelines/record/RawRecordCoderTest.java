package dev.rredcot.pipelines.record;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.junit.jupiter.api.Test;

class RawRecordCoderTest {
  private static final Coder<RawRecord> CODER = RawRecordCoder.of();

  @Test
  void decodesWhatItEncodesInEveryContext() throws Exception {
    byte[] key = "group-1".getBytes(StandardCharsets.UTF_8);
    for (RawRecord record :
        List.of(
            RawRecord.of(key, new byte[] {1, 2, 3}, "rollouts", 1, 42L),
            RawRecord.of(null, new byte[0], "rollouts", 0, 0L),
            RawRecord.of(key, null, "rollouts", 3, Long.MAX_VALUE),
            RawRecord.ofValue(new byte[] {(byte) 0xC3, 0x01}),
            RawRecord.ofValue(null))) {
      CoderProperties.coderDecodeEncodeEqual(CODER, record);
      CoderProperties.structuralValueDecodeEncodeEqual(CODER, record);
    }
  }

  @Test
  void isSerializableForTheRunners() {
    CoderProperties.coderSerializable(CODER);
  }
}
