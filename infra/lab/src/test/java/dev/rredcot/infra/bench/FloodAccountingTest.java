package dev.rredcot.infra.bench;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FloodAccountingTest {
  private static final String REFUSED = "GroupRollouts\ttoo-many-open-groups";

  @Test
  void countsEachIdOnceByItsOutcome() {
    FloodAccounting.Outcomes outcomes =
        FloodAccounting.outcomes(
            List.of("a", "b", "c", "d", "e"),
            Set.of("a", "e"),
            Map.of("b", REFUSED, "c", "ParseRollouts\tempty-trace", "e", REFUSED));

    assertThat(outcomes.sent(), is(5));
    // e was credited and dead-lettered: credited, as the chaos audit counts it.
    assertThat(outcomes.credited(), is(2));
    assertThat(outcomes.tooManyOpenGroups(), is(1));
    assertThat(outcomes.deadOther(), equalTo(Map.of("ParseRollouts/empty-trace", 1)));
    assertThat(outcomes.unaccounted(), is(1));
    assertThat(outcomes.allAccounted(), is(false));
  }

  @Test
  void aGroupIsCreditedOnlyWhenEveryMemberIs() {
    FloodAccounting.GroupOutcomes groups =
        FloodAccounting.groupOutcomes(
            List.of(List.of("g1-0", "g1-1"), List.of("g2-0", "g2-1"), List.of("g3-0", "g3-1")),
            Set.of("g1-0", "g1-1", "g3-1"),
            Map.of("g2-0", REFUSED, "g2-1", REFUSED, "g3-0", REFUSED));

    assertThat(groups.groups(), is(3));
    assertThat(groups.credited(), is(1));
    assertThat(groups.refused(), is(1));
    assertThat(groups.other(), is(1));
    assertThat(groups.rollouts().allAccounted(), is(true));
  }

  @Test
  void theNewestCheckpointIsTheHighestCompletedOne(@TempDir Path storage) throws Exception {
    Path job = Files.createDirectories(storage.resolve("0123abcd"));
    Files.write(Files.createDirectories(job.resolve("chk-9")).resolve("_metadata"), new byte[10]);
    Path eleven = Files.createDirectories(job.resolve("chk-11"));
    Files.write(eleven.resolve("_metadata"), new byte[100]);
    Files.write(eleven.resolve("state-1"), new byte[1_000]);
    // Being written: no _metadata yet.
    Files.write(Files.createDirectories(job.resolve("chk-12")).resolve("state-2"), new byte[5]);
    Files.createDirectories(job.resolve("shared"));

    FlinkCheckpointBytes.Checkpoint newest = FlinkCheckpointBytes.newest(storage).orElseThrow();

    assertThat(newest.number(), is(11L));
    assertThat(newest.bytes(), is(1_100L));
    assertThat(FlinkCheckpointBytes.bytes(storage), is(1_115L));
    assertThat(FlinkCheckpointBytes.newest(storage.resolve("none")).isPresent(), is(false));
  }
}
