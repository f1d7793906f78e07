package dev.rredcot.model.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.rredcot.schemas.PolicyCheckpoint;
import dev.rredcot.schemas.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** The trainer's checkpoint announcements carry a key, which a compacted topic requires. */
class CheckpointAnnouncementRecordTest {
  private static PolicyCheckpoint announcement(long version) {
    return PolicyCheckpoint.newBuilder()
        .setVersion(version)
        .setParentVersion(version - 1)
        .setUri("file:///store/v" + version + "/")
        .setManifestSha256("ab".repeat(32))
        .setCreatedAtMs(Instant.ofEpochMilli(1_700_000_000_000L))
        .setMetrics(Map.of())
        .build();
  }

  @Test
  void announcementIsKeyedByItsVersion() {
    ProducerRecord<byte[], byte[]> record =
        TrainerService.announcementRecord("checkpoints", announcement(42));
    assertEquals("checkpoints", record.topic());
    assertNotNull(record.key(), "a compacted topic refuses records without a key");
    assertArrayEquals("42".getBytes(StandardCharsets.UTF_8), record.key());
    assertEquals(announcement(42), RecordCodec.of(PolicyCheckpoint.class).decode(record.value()));
  }

  @Test
  void differentVersionsKeepDifferentKeysSoCompactionKeepsEachVersion() {
    // Compaction keeps the last record per key: one key per version keeps every announcement.
    byte[] first = TrainerService.announcementRecord("checkpoints", announcement(7)).key();
    byte[] again = TrainerService.announcementRecord("checkpoints", announcement(7)).key();
    byte[] next = TrainerService.announcementRecord("checkpoints", announcement(8)).key();
    assertArrayEquals(first, again);
    assertFalse(Arrays.equals(first, next));
  }
}
