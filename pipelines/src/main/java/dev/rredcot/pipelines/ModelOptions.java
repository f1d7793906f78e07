package dev.rredcot.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where the policy comes from and how the model-backed stages call it. */
public interface ModelOptions extends PipelineOptions {
  @Description(
      "Preset: grpo (grpo + none + single), rredcot (rredcot-rudder-calibrated + bank + hybrid) or mc"
          + " (rredcot-rudder + mc + hybrid). Fills whichever of --credit-method, --value-estimator"
          + " and --segmentation is not given explicitly (an explicit one wins); empty: those three"
          + " alone (default grpo + none + single).")
  @Default.String("")
  String getCredit();

  void setCredit(String value);

  @Description(
      "Checkpoint store directory; empty: $RREDCOT_HOME/checkpoints (~/.rredcot/checkpoints).")
  @Default.String("")
  String getCheckpointDir();

  void setCheckpointDir(String value);

  @Description(
      "Public keys whose signatures on checkpoint manifests the value stage accepts (a file, one"
          + " 'ed25519 <base64>' line per key, re-read at every load); versions neither signed by"
          + " one of them nor a shipped policy are refused and counted. Empty:"
          + " $RREDCOT_HOME/keys/checkpoint-signing.key.pub (written by the trainer); 'none':"
          + " signatures not checked (only for stores no one else can write).")
  @Default.String("")
  String getTrustedKeys();

  void setTrustedKeys(String value);

  @Description(
      "Score every rollout with exactly this policy version of --store (the job fails at"
          + " start when the store does not hold it, and ignores checkpoint announcements); -1:"
          + " the rollout's generating version while held, else the newest.")
  @Default.Long(-1)
  long getPolicyVersion();

  void setPolicyVersion(long value);

  @Description(
      "Policy versions each worker keeps loaded; a rollout is scored with its generating"
          + " version while held, else with the newest.")
  @Default.Integer(2)
  int getVersionsHeld();

  void setVersionsHeld(int value);

  @Description("Load new checkpoints announced on --checkpoints-topic without restarting.")
  @Default.Boolean(true)
  boolean getWatchCheckpoints();

  void setWatchCheckpoints(boolean value);

  @Description("Topic of PolicyCheckpoint announcements (on --bootstrap).")
  @Default.String(dev.rredcot.schemas.Topics.CHECKPOINTS)
  String getCheckpointsTopic();

  void setCheckpointsTopic(String value);

  @Description("Answer cue teacher-forced before the answer; empty: the task family's cue (A: ).")
  @Default.String("")
  String getAnswerCue();

  void setAnswerCue(String value);

  @Description("Reuse the prefix KV cache for boundary values (answer, loo, gradient).")
  @Default.Boolean(true)
  boolean getReuseKvCache();

  void setReuseKvCache(boolean value);

  @Description("Monte Carlo continuations M per boundary (valueEstimator mc).")
  @Default.Integer(8)
  int getMcSamples();

  void setMcSamples(int value);

  @Description("Most tokens per Monte Carlo continuation.")
  @Default.Integer(64)
  int getMcMaxTokens();

  void setMcMaxTokens(int value);

  @Description(
      "How continuation-bank values combine the aligned remainders: sum (log-sum-exp over the"
          + " distinct remainders), mean (the sum over their count) or per-token (the mean of"
          + " per-token probabilities).")
  @Default.String("sum")
  String getBankAggregation();

  void setBankAggregation(String value);

  @Description(
      "Continuation bank: a line-aligned prefix that no bank remainder validly continues gets the"
          + " policy's greedy continuation from it as its remainder when that verifies (needs a"
          + " backend that generates, so a completions URL that only scores needs"
          + " --bank-greedy-fill=false; at most --mc-max-tokens tokens).")
  @Default.Boolean(true)
  boolean getBankGreedyFill();

  void setBankGreedyFill(boolean value);

  @Description("Most traces per policy call.")
  @Default.Integer(64)
  int getMaxBatchTraces();

  void setMaxBatchTraces(int value);

  @Description("Most context tokens per policy call (a longer single trace still goes alone).")
  @Default.Integer(16_384)
  int getMaxBatchTokens();

  void setMaxBatchTokens(int value);

  @Description(
      "A fixed model instead of the --store store: a model directory (a built-in"
          + " checkpoint or store; the kinds of BackendKinds) or the URL of an OpenAI-compatible"
          + " completions server (vLLM, SGLang, rredcot serve), e.g. http://127.0.0.1:8000."
          + " Empty: the store's versions.")
  @Default.String("")
  String getModel();

  void setModel(String value);

  @Description(
      "Tokenizer of a --model URL: a directory with tokenizer.json or a checkpoint; empty: the"
          + " newest checkpoint in --store.")
  @Default.String("")
  String getModelTokenizer();

  void setModelTokenizer(String value);

  @Description(
      "Task families records may name: built-ins (arith, countdown) and JSONL files"
          + " [NAME=]FILE.jsonl[:exact|numeric|math], comma-separated; empty: the built-ins.")
  @Default.String("")
  String getTaskFamilies();

  void setTaskFamilies(String value);

  @Description(
      "Allow a --model URL that is plain http to a host that is not loopback (traces and"
          + " log-probabilities then cross the network unencrypted and unauthenticated); https, or"
          + " http to 127.0.0.1, needs no flag.")
  @Default.Boolean(false)
  boolean getEndpointAllowInsecureHttp();

  void setEndpointAllowInsecureHttp(boolean value);

  @Description("Sequences per completions request to a --model URL.")
  @Default.Integer(16)
  int getEndpointBatchSize();

  void setEndpointBatchSize(int value);

  @Description("Timeout in seconds of one request to a --model URL.")
  @Default.Integer(60)
  int getEndpointTimeoutSeconds();

  void setEndpointTimeoutSeconds(int value);

  @Description(
      "Retries of a failed request to a --model URL (backoff 0.5 s, doubling); then the traces"
          + " are model-server-unavailable dead letters.")
  @Default.Integer(3)
  int getEndpointRetries();

  void setEndpointRetries(int value);

  @Description("Send prompts to a --model URL as token ids (else as text, checked for alignment).")
  @Default.Boolean(true)
  boolean getEndpointTokenIds();

  void setEndpointTokenIds(boolean value);

  @Description("max_tokens of scoring requests: 0, or 1 for servers that refuse 0.")
  @Default.Integer(0)
  int getEndpointMaxTokens();

  void setEndpointMaxTokens(int value);

  @Description(
      "Top-k log-probs per position for entropies from a --model URL (0: none unless the server"
          + " gives exact ones, as rredcot serve does).")
  @Default.Integer(0)
  int getEndpointEntropyTopK();

  void setEndpointEntropyTopK(int value);

  @Description("Context length of a --model URL; 0: the server's max_model_len.")
  @Default.Integer(0)
  int getEndpointMaxContext();

  void setEndpointMaxContext(int value);
}
