package dev.rredcot.pipelines.replay;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;

import dev.rredcot.pipelines.CreditPipeline;
import dev.rredcot.pipelines.CreditPipelineOptions;
import dev.rredcot.pipelines.CreditRunResult;
import dev.rredcot.pipelines.TestRollouts;
import dev.rredcot.schemas.CreditedRollout;
import dev.rredcot.schemas.DeadLetter;
import dev.rredcot.schemas.Rollout;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stored rollouts in Avro files are re-credited into Avro files by the same job. */
class ReplayFilesTest {
  @TempDir Path dir;

  @Test
  void rolloutContainerFileIsCreditedIntoOutputFiles() throws IOException {
    File input = dir.resolve("rollouts.avro").toFile();
    try (DataFileWriter<Rollout> writer =
        new DataFileWriter<>(new SpecificDatumWriter<>(Rollout.class))) {
      writer.create(Rollout.getClassSchema(), input);
      for (int i = 0; i < 4; i++) {
        writer.append(TestRollouts.rollout("g", i, 4, i % 2));
      }
    }
    CreditRunResult result = run(input.getPath());
    assertThat(result.state(), equalTo(PipelineResult.State.DONE));
    List<CreditedRollout> credited = read(CreditedRollout.class, "credited");
    assertThat(
        credited.stream().map(CreditedRollout::getRolloutId).collect(Collectors.toList()),
        containsInAnyOrder("g-r0", "g-r1", "g-r2", "g-r3"));
    for (CreditedRollout c : credited) {
      double sum = c.getSegmentRewards().stream().mapToDouble(Double::doubleValue).sum();
      assertThat(sum, closeTo(c.getReward() - c.getBoundaryValues().get(0), 1e-9));
    }
    assertThat(result.counter("stage/ParseRollout/in"), equalTo(4L));
  }

  @Test
  void rawBytesFileKeepsCorruptValuesAsDeadLetters() throws IOException {
    File input = dir.resolve("raw.avro").toFile();
    Schema bytes = Schema.create(Schema.Type.BYTES);
    try (DataFileWriter<Object> writer = new DataFileWriter<>(new GenericDatumWriter<>(bytes))) {
      writer.create(bytes, input);
      for (int i = 0; i < 2; i++) {
        writer.append(
            ByteBuffer.wrap(TestRollouts.CODEC.encode(TestRollouts.rollout("h", i, 2, i))));
      }
      writer.append(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    }
    run(input.getPath());
    assertThat(read(CreditedRollout.class, "credited").size(), equalTo(2));
    List<DeadLetter> letters = read(DeadLetter.class, "credited-dead-letters");
    assertThat(letters.size(), equalTo(1));
    assertThat(letters.get(0).getStage(), equalTo("ParseRollout"));
  }

  private CreditRunResult run(String inputFiles) {
    CreditPipelineOptions options =
        PipelineOptionsFactory.fromArgs(
                "--inputFiles=" + inputFiles,
                "--outputFiles=" + dir.resolve("out").resolve("credited"),
                "--groupTimeoutMs=60000")
            .as(CreditPipelineOptions.class);
    return CreditPipeline.runBounded(options);
  }

  private <T> List<T> read(Class<T> type, String prefix) throws IOException {
    List<T> records = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> listing = Files.list(dir.resolve("out"))) {
      files =
          listing
              .filter(p -> p.getFileName().toString().matches(prefix + "-\\d+-of-\\d+\\.avro"))
              .collect(Collectors.toList());
    }
    for (Path file : files) {
      try (DataFileReader<T> reader =
          new DataFileReader<>(file.toFile(), new SpecificDatumReader<>(type))) {
        reader.forEach(records::add);
      }
    }
    return records;
  }
}
