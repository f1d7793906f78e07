package dev.rredcot.model.pretrain;

import dev.rredcot.model.checkpoint.Checkpoint;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.checkpoint.CheckpointVerificationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shipped initial policy (checkpoint version 0), kept as class-path resources under {@code
 * dev/rredcot/model/initial-policy/} and pinned by the SHA-256 of its manifest.
 *
 * <p>Regenerate it (about 5 minutes on 2 cores) with the defaults of {@link PretrainOptions}:
 *
 * <pre>{@code
 * Path store = Files.createTempDirectory("pretrain");
 * PretrainResult result = Pretrainer.run(
 *     PretrainOptions.builder().optOutput(new CheckpointStore(store, 1), 0).build());
 * InitialPolicy.export(result.checkpoint(),
 *     Path.of("model-worker/model/src/main/resources/dev/rredcot/model/initial-policy"));
 * // then set MANIFEST_SHA256 to result.checkpoint().manifestSha256()
 * }</pre>
 *
 * <p>or from the repository root: {@code mvn -B -o -pl model-worker test
 * -Dtest=InitialPolicyRegeneration -Drredcot.regenerate.initialPolicy=true} (the test is skipped
 * without the property).
 */
public final class InitialPolicy {

  /** Class-path folder of the checkpoint files. */
  public static final String RESOURCE_FOLDER = "/dev/rredcot/model/initial-policy/";

  /** Files of the checkpoint directory (manifest included). */
  public static final List<String> FILES =
      List.of(
          CheckpointStore.MANIFEST, "model-config.json", "model.params", "tokenizer-chars.json");

  /** SHA-256 of the shipped manifest.json, which itself pins every other file's digest. */
  public static final String MANIFEST_SHA256 =
      "bd20096c124fd4955c3f1de5a746ef66f0bc386dbe06887180346ef6d1181640";

  private static final Logger LOG = LoggerFactory.getLogger(InitialPolicy.class);

  private InitialPolicy() {}

  /**
   * Copies the shipped checkpoint into {@code store} as version 0 and verifies every digest; if
   * version 0 already exists it is verified against the shipped manifest and returned.
   *
   * @throws CheckpointVerificationException when the resources or an existing version 0 do not
   *     match the pinned manifest digest
   */
  public static Checkpoint materialise(CheckpointStore store) throws IOException {
    return materialise(store, RESOURCE_FOLDER, MANIFEST_SHA256);
  }

  /**
   * Copies the checkpoint shipped under class-path folder {@code resourceFolder} into {@code store}
   * as version 0 and verifies it against {@code manifestSha256}; shared by every shipped policy.
   */
  static Checkpoint materialise(CheckpointStore store, String resourceFolder, String manifestSha256)
      throws IOException {
    Path target = store.root().resolve(CheckpointStore.directoryName(0));
    if (Files.exists(target)) {
      return CheckpointStore.verify(target, manifestSha256);
    }
    Files.createDirectories(store.root());
    Path temp = store.root().resolve(".initial-policy-" + UUID.randomUUID());
    Files.createDirectory(temp);
    try {
      for (String name : FILES) {
        try (InputStream in = InitialPolicy.class.getResourceAsStream(resourceFolder + name)) {
          if (in == null) {
            throw new CheckpointVerificationException(
                "resource " + resourceFolder + name + " is missing from the class path");
          }
          Files.copy(in, temp.resolve(name));
        }
      }
      CheckpointStore.verify(temp, manifestSha256);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(temp);
      throw e;
    }
    Checkpoint checkpoint = CheckpointStore.verify(target, manifestSha256);
    LOG.info("materialised the shipped policy {} as {}", resourceFolder, target);
    return checkpoint;
  }

  /** Copies a checkpoint's files into a resource folder (used to regenerate the shipped one). */
  public static void export(Checkpoint checkpoint, Path resourceFolder) throws IOException {
    Files.createDirectories(resourceFolder);
    for (String name : FILES) {
      Files.copy(
          checkpoint.file(name), resourceFolder.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      LOG.warn("could not remove {}: {}", dir, e.toString());
    }
  }
}
