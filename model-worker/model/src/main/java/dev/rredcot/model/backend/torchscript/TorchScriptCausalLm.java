package dev.rredcot.model.backend.torchscript;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.rredcot.model.backend.BackendCapability;
import dev.rredcot.model.backend.BackendKind;
import dev.rredcot.model.backend.CachedCausalLm;
import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.TorchEngine;
import dev.rredcot.model.tokenizer.HuggingFaceTokenizerAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A causal language model exported with TorchScript (a Hugging Face model or any decoder with the
 * same forward), run through DJL's PyTorch engine as a {@link CachedCausalLm}: the export is the
 * step function behind batched scoring, KV-reusing boundary values and cached generation.
 *
 * <p>A model directory holds {@code model-card.json} ({@link ModelCard}), the TorchScript file and
 * the {@code tokenizer.json} it names. The exported forward takes {@code (input_ids (B,T) int64,
 * position_ids (B,T) int64, attention_mask (B,P+T) int64, past_keys (B,L,H,P,D), past_values
 * (B,L,H,P,D))} and returns {@code (logits (B,T,V), present_keys (B,L,H,P+T,D), present_values)};
 * attention is causal by column and skips key columns whose mask is 0. Sequences are {@code [bos] +
 * tokens(prompt) + trace}, left-padded in batches with positions restarting at each row's first
 * real token.
 *
 * <p>Every public method takes an internal lock and works in its own NDManager, closed before it
 * returns; each decode step runs in a sub-manager of its own, so memory stays flat over a long
 * generation. Device: the GPU when the engine sees one, else the CPU.
 */
public final class TorchScriptCausalLm extends CachedCausalLm {

  /** The model-directory kind for {@code BackendKinds.register} (loading package). */
  public static final BackendKind KIND =
      new BackendKind() {
        @Override
        public String name() {
          return "torchscript";
        }

        @Override
        public String expectedFiles() {
          return ModelCard.FILE_NAME + " + the TorchScript model and tokenizer.json it names";
        }

        @Override
        public boolean recognises(Path dir) {
          return Files.isRegularFile(dir.resolve(ModelCard.FILE_NAME));
        }

        @Override
        public PolicyBackend open(Path dir) throws IOException {
          return TorchScriptCausalLm.open(dir);
        }
      };

  private static final Logger LOG = LoggerFactory.getLogger(TorchScriptCausalLm.class);

  /** No gradients or training: the export is run for inference only. */
  private static final Set<BackendCapability> CAPABILITIES =
      Set.of(BackendCapability.ENTROPIES, BackendCapability.GENERATION, BackendCapability.KV_REUSE);

  private final Path dir;
  private final ModelCard card;
  private final HuggingFaceTokenizerAdapter tokenizer;
  private final Model model;

  private TorchScriptCausalLm(
      Path dir, ModelCard card, HuggingFaceTokenizerAdapter tokenizer, Model model) {
    super(tokenizer, card.vocabSize(), card.maxContext());
    this.dir = dir;
    this.card = card;
    this.tokenizer = tokenizer;
    this.model = model;
  }

  /**
   * Opens the exported model in {@code dir}.
   *
   * @throws IOException when the card, the tokenizer or the TorchScript file is missing or does not
   *     fit the others
   */
  public static TorchScriptCausalLm open(Path dir) throws IOException {
    ModelCard card = ModelCard.read(dir);
    if (card.chatTemplate() != null) {
      throw new IOException(
          dir
              + ": the card names a chat template, which this backend does not apply; wrap the"
              + " prompts in it before they reach the credit job and set chatTemplate to null");
    }
    if (!card.modelFile().endsWith(".pt")) {
      throw new IOException(dir + ": modelFile must be a TorchScript .pt file");
    }
    Path modelFile = dir.resolve(card.modelFile());
    if (!Files.isRegularFile(modelFile)) {
      throw new IOException(dir + ": " + card.modelFile() + " is missing");
    }
    HuggingFaceTokenizerAdapter tokenizer =
        HuggingFaceTokenizerAdapter.open(
            dir.resolve(card.tokenizerFile()), card.padToken(), card.bosToken(), card.eosToken());
    try {
      if (tokenizer.vocabSize() > card.vocabSize()) {
        throw new IOException(
            dir
                + ": the tokenizer has "
                + tokenizer.vocabSize()
                + " ids, more than the model's vocabSize "
                + card.vocabSize());
      }
      Device device = TorchEngine.chooseDevice();
      String name = card.modelFile().substring(0, card.modelFile().length() - ".pt".length());
      Model model = Model.newInstance(name, device, "PyTorch");
      try {
        // mapLocation puts tensors saved on one device onto the model's device.
        model.load(dir, name, Map.of("mapLocation", "true"));
      } catch (MalformedModelException | IOException | RuntimeException e) {
        model.close();
        throw new IOException(dir + ": cannot load " + card.modelFile() + ": " + e.getMessage(), e);
      }
      TorchScriptCausalLm lm = new TorchScriptCausalLm(dir, card, tokenizer, model);
      try {
        lm.checkSignature();
      } catch (RuntimeException e) {
        model.close();
        throw new IOException(dir + ": " + e.getMessage(), e);
      }
      LOG.info("loaded TorchScript causal LM {} on {}", modelFile, device);
      return lm;
    } catch (IOException | RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /**
   * Runs the forward on {@code [bos]} and checks the shapes against the card, so an export with
   * another signature fails at open with the shapes it returned rather than inside a credit job.
   */
  private void checkSignature() {
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDList out =
          forward(
              manager,
              new long[] {tokenizer.bosId()},
              new long[] {0},
              1,
              1,
              new long[] {1},
              null,
              null);
      Shape present = new Shape(1, card.layers(), card.heads(), 1, card.headDim());
      Shape logits = new Shape(1, 1, card.vocabSize());
      if (!out.get(0).getShape().equals(logits)
          || !out.get(1).getShape().equals(present)
          || !out.get(2).getShape().equals(present)) {
        throw new IllegalStateException(
            "the forward returned shapes "
                + out.getShapes()[0]
                + ", "
                + out.getShapes()[1]
                + ", "
                + out.getShapes()[2]
                + " for one token; the card expects logits "
                + logits
                + " and present keys/values "
                + present);
      }
    }
  }

  /** The model card read at {@link #open}. */
  public ModelCard card() {
    return card;
  }

  @Override
  public String description() {
    return "torchscript " + dir.toAbsolutePath().normalize();
  }

  /** Always 0: an exported model carries no checkpoint version. */
  @Override
  public long version() {
    return 0;
  }

  @Override
  public Set<BackendCapability> capabilities() {
    return CAPABILITIES;
  }

  @Override
  public HuggingFaceTokenizerAdapter tokenizer() {
    return tokenizer;
  }

  @Override
  protected NDManager rootManager() {
    return model.getNDManager();
  }

  // ---------------------------------------------------------------- the forward pass

  /** The exported forward; a null past is the empty past of length 0. */
  @Override
  protected NDList forward(
      NDManager manager,
      long[] ids,
      long[] positions,
      int rows,
      int width,
      long[] mask,
      NDArray pastKeys,
      NDArray pastValues) {
    Shape emptyPast = new Shape(rows, card.layers(), card.heads(), 0, card.headDim());
    NDList inputs =
        new NDList(
            manager.create(ids, new Shape(rows, width)),
            manager.create(positions, new Shape(rows, width)),
            manager.create(mask, new Shape(rows, mask.length / rows)),
            pastKeys != null ? pastKeys : manager.zeros(emptyPast),
            pastValues != null ? pastValues : manager.zeros(emptyPast));
    NDList out = model.getBlock().forward(new ParameterStore(manager, false), inputs, false);
    if (out.size() != 3) {
      throw new IllegalStateException(
          description()
              + ": the forward returned "
              + out.size()
              + " tensors; expected logits, present keys and present values");
    }
    return out;
  }

  @Override
  public void close() {
    locked(
        () -> {
          model.close();
          tokenizer.close();
          return null;
        });
  }
}
