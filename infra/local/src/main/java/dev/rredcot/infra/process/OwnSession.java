package dev.rredcot.infra.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts child processes in a session of their own ({@code setsid}), where the system has it.
 * Ctrl-C in a terminal signals the whole foreground process group: a child in that group would stop
 * at the same moment as its parent, the broker before the producers and consumers that use it. In a
 * session of its own, a child gets only the signals its parent sends it, in the parent's order;
 * every parent here stops its children in a shutdown hook.
 */
public final class OwnSession {
  private static final Path SETSID = Path.of("/usr/bin/setsid");

  private OwnSession() {}

  /**
   * {@code command} run through {@code setsid} when it exists (else as is). The child is not a
   * process group leader, so {@code setsid} makes the new session and executes the command in the
   * same process: the process id stays the command's own.
   */
  public static List<String> command(List<String> command) {
    if (!Files.isExecutable(SETSID)) {
      return command;
    }
    List<String> inSession = new ArrayList<>();
    inSession.add(SETSID.toString());
    inSession.addAll(command);
    return inSession;
  }
}
