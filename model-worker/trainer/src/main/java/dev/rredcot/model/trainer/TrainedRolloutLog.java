package dev.rredcot.model.trainer;

import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.schemas.CreditedRollout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's audit trail: an append-only TSV with one line per trained rollout, {@code
 * policy_version rollout_id group_id behaviour_version}, where {@code policy_version} is the
 * version the rollout's step produced. Each step's lines are written and fsynced before the step's
 * progress and checkpoint, so no trained rollout is missing; on open, lines of versions newer than
 * the checkpoint the trainer resumes from (a step that did not finish, or a corrupt checkpoint set
 * aside) and a torn last line are cut, because those rollouts will be trained again.
 */
final class TrainedRolloutLog implements AutoCloseable {

  /** The header line. */
  static final String HEADER = "policy_version\trollout_id\tgroup_id\tbehaviour_version";

  private static final Logger LOG = LoggerFactory.getLogger(TrainedRolloutLog.class);

  private final Path file;
  private final FileChannel channel;

  private TrainedRolloutLog(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /**
   * Opens {@code file} for appending after cutting lines of versions above {@code resumedVersion};
   * creates it with its header if missing.
   */
  static TrainedRolloutLog open(Path file, long resumedVersion) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    boolean existed = Files.exists(file);
    FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      if (!existed || channel.size() == 0) {
        write(channel, HEADER + "\n");
        channel.force(true);
        CheckpointStore.syncDirectory(parent);
      } else {
        long keep = keptLength(Files.readAllBytes(file), resumedVersion);
        if (keep < channel.size()) {
          LOG.warn(
              "{}: cutting {} bytes of rollouts trained after v{} (they will be trained again)",
              file,
              channel.size() - keep,
              resumedVersion);
          channel.truncate(keep);
          channel.force(true);
        }
      }
      channel.position(channel.size());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return new TrainedRolloutLog(file, channel);
  }

  /** The file. */
  Path file() {
    return file;
  }

  /** Appends and fsyncs the lines of the rollouts a step trained into {@code policyVersion}. */
  void append(long policyVersion, List<CreditedRollout> trained) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (CreditedRollout record : trained) {
      lines
          .append(policyVersion)
          .append('\t')
          .append(clean(record.getRolloutId()))
          .append('\t')
          .append(clean(record.getGroupId()))
          .append('\t')
          .append(record.getPolicyVersion())
          .append('\n');
    }
    write(channel, lines.toString());
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Length of the prefix made of the header and complete lines of versions <= resumedVersion. */
  private static long keptLength(byte[] bytes, long resumedVersion) throws IOException {
    int start = 0;
    boolean header = true;
    while (start < bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      if (end == bytes.length) {
        return start; // a torn last line
      }
      String line = new String(bytes, start, end - start, StandardCharsets.UTF_8);
      if (header) {
        if (!line.equals(HEADER)) {
          throw new IOException("not a trained-rollouts log (unexpected header): " + line);
        }
        header = false;
      } else {
        int tab = line.indexOf('\t');
        long version;
        try {
          version = Long.parseLong(tab < 0 ? line : line.substring(0, tab));
        } catch (NumberFormatException e) {
          throw new IOException("unreadable line in trained-rollouts log: " + line, e);
        }
        if (version > resumedVersion) {
          return start;
        }
      }
      start = end + 1;
    }
    return start;
  }

  private static String clean(CharSequence value) {
    // Ids never hold tabs or newlines; replace them anyway so one rollout stays one line.
    return value.toString().replace('\t', ' ').replace('\n', ' ');
  }

  private static void write(FileChannel channel, String text) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }
}
