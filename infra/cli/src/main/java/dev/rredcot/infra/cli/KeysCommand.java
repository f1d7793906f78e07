package dev.rredcot.infra.cli;

import dev.rredcot.model.checkpoint.CheckpointSigningKey;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import dev.rredcot.model.checkpoint.StoreLock;
import dev.rredcot.model.files.HomeDirectory;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code rredcot keys generate}: the trainer's checkpoint signing key, made ahead of time. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = {
      "Checkpoint signing keys (Ed25519). The trainer signs every checkpoint manifest; workers,"
          + " the credit job and a restarting trainer load only versions signed by a key in"
          + " their --trusted-keys file (or a shipped policy). A trainer whose --signing-key is"
          + " missing generates one on its first start; use this command to make the key"
          + " elsewhere (e.g. for a Kubernetes Secret) or to rotate it."
    },
    subcommands = {KeysCommand.Generate.class, KeysCommand.SignStore.class})
final class KeysCommand implements Runnable {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code rredcot keys generate --out DIR}: a new key pair, never overwriting one. */
  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = {
        "Write a new signing key to DIR/checkpoint-signing.key (0600; give it to the trainer as"
            + " --signing-key) and its public half to DIR/checkpoint-signing.key.pub (append that"
            + " line to the readers' --trusted-keys file). Refuses to overwrite an existing key."
      })
  static final class Generate implements Callable<Integer> {
    @ParentCommand KeysCommand keys;
    @Spec CommandSpec spec;

    @Option(
        names = "--out",
        paramLabel = "DIR",
        description = "Directory of the key files (default: $RREDCOT_HOME/keys).")
    Path out;

    @Override
    public Integer call() throws Exception {
      PrintWriter console = spec.commandLine().getOut();
      Path keyFile =
          out != null
              ? out.resolve(HomeDirectory.signingKey(Path.of("")).getFileName())
              : HomeDirectory.signingKey(keys.cli.home().root());
      if (Files.exists(keyFile)) {
        throw new ParameterException(
            spec.commandLine(),
            keyFile + " exists; a key is never overwritten (choose another --out to rotate)");
      }
      CheckpointSigningKey key = CheckpointSigningKey.generateInto(keyFile);
      console.printf(
          "key %s: private key %s (owner-only), public key %s%n",
          key.keyId(), keyFile, CheckpointSigningKey.publicFile(keyFile));
      console.flush();
      return 0;
    }
  }

  /**
   * {@code rredcot keys sign-store}: adopts the unsigned versions of a store written before
   * signing.
   */
  @Command(
      name = "sign-store",
      mixinStandardHelpOptions = true,
      description = {
        "Sign every unsigned version of a checkpoint store that matches its manifest, with the"
            + " trainer's key: the explicit step that adopts a store written before checkpoints"
            + " were signed (readers and a restarting trainer refuse unsigned versions). Takes the"
            + " store's lock, so no trainer may run on it meanwhile. Only sign a store whose"
            + " contents you trust: this is what makes them trusted."
      })
  static final class SignStore implements Callable<Integer> {
    @ParentCommand KeysCommand keys;
    @Spec CommandSpec spec;

    @Option(
        names = "--store",
        paramLabel = "DIR",
        description = "Checkpoint store (default: $RREDCOT_HOME/checkpoints).")
    Path store;

    @Option(
        names = "--signing-key",
        paramLabel = "FILE",
        description =
            "The trainer's key (default: $RREDCOT_HOME/keys/checkpoint-signing.key); must exist.")
    Path signingKey;

    @Override
    public Integer call() throws Exception {
      PrintWriter console = spec.commandLine().getOut();
      Path root = store != null ? store : keys.cli.home().checkpointsDir();
      Path keyFile =
          signingKey != null ? signingKey : HomeDirectory.signingKey(keys.cli.home().root());
      if (!Files.exists(keyFile)) {
        throw new ParameterException(
            spec.commandLine(), keyFile + " does not exist: give the trainer's --signing-key");
      }
      CheckpointSigningKey key = CheckpointSigningKey.load(keyFile);
      CheckpointStore checkpoints = new CheckpointStore(root, Integer.MAX_VALUE);
      int signed = 0;
      int refused = 0;
      List<Long> versions = checkpoints.versions();
      try (StoreLock lock = checkpoints.lock()) {
        for (long version : versions) {
          try {
            if (checkpoints.signUnsigned(version, key, lock)) {
              signed++;
            }
          } catch (CheckpointVerificationException e) {
            refused++;
            console.printf("not signing v%d: %s%n", version, e.getMessage());
          }
        }
      }
      console.printf(
          "%s: signed %d of %d versions with key %s%s%n",
          root,
          signed,
          versions.size(),
          key.keyId(),
          refused == 0 ? "" : "; " + refused + " do not match their manifest and stay unsigned");
      console.flush();
      return refused == 0 ? 0 : RredcotCli.EXIT_FAILURE;
    }
  }
}
