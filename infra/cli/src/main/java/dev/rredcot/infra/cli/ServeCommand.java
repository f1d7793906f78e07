package dev.rredcot.infra.cli;

import dev.rredcot.model.backend.PolicyBackend;
import dev.rredcot.model.backend.endpoint.CompletionsServer;
import dev.rredcot.model.backend.endpoint.EndpointSettings;
import dev.rredcot.model.backend.endpoint.ModelServerUrls;
import dev.rredcot.model.checkpoint.CheckpointStore;
import dev.rredcot.model.family.BuiltInTask;
import dev.rredcot.model.loading.BackendKinds;
import dev.rredcot.model.task.TaskFamilyRegistry;
import dev.rredcot.pipelines.endpoint.CreditEndpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rredcot serve}: serves a policy backend over the scoring part of the OpenAI completions
 * protocol on 127.0.0.1 ({@link CompletionsServer}), and the credit of a group at {@code POST
 * /v1/credit} ({@link CreditEndpoint}), until SIGTERM or Ctrl-C.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a policy on 127.0.0.1 as an OpenAI-compatible completions server (GET /v1/models,"
          + " POST /v1/completions with echo: true and max_tokens: 0, i.e. prompt log-probs),"
          + " until SIGTERM or Ctrl-C.",
      "Credit jobs use it with --model http://127.0.0.1:PORT; no generation is served.",
      "POST /v1/credit credits one group (prompt, traces, rewards, task family, reference answer,"
          + " options) with the served policy: segment boundaries, values, segment rewards and"
          + " token advantages per trace, as the credit job computes them"
          + " (clients/python/rredcot_credit.py)."
    })
final class ServeCommand implements Callable<Integer> {
  @ParentCommand RredcotCli cli;
  @Spec CommandSpec spec;
  @Mixin TaskOption taskOption;

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR|URL|builtin",
      description =
          "The model: a model directory (built-in checkpoint or store, TorchScript export,"
              + " Hugging Face Llama-family directory, llama2.c checkpoint), a completions server URL"
              + " (served through, with --model-tokenizer), or builtin: the shipped policy of"
              + " --task.")
  String model;

  @Option(
      names = "--model-tokenizer",
      paramLabel = "DIR",
      description = "Tokenizer of a --model URL (a directory with tokenizer.json or a checkpoint).")
  Path tokenizer;

  @Option(
      names = "--port",
      defaultValue = "8000",
      paramLabel = "P",
      description = "Port on 127.0.0.1 (0: a free one, printed).")
  int port;

  @Option(
      names = "--allow-insecure-model-url",
      description =
          "Allow a --model URL that is plain http to a host that is not loopback (traces and"
              + " log-probabilities cross the network unencrypted); https needs no flag.")
  boolean allowInsecureModelUrl;

  @Option(
      names = "--max-request-bytes",
      defaultValue = "" + CompletionsServer.Limits.DEFAULT_MAX_REQUEST_BYTES,
      paramLabel = "N",
      description =
          "Largest request body accepted; larger ones get 413 (default ${DEFAULT-VALUE}).")
  long maxRequestBytes;

  @Option(
      names = "--max-prompt-tokens",
      paramLabel = "N",
      description =
          "Longest prompt accepted, in tokens; longer ones get 400 (default: the model's context).")
  Integer maxPromptTokens;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Model name in /v1/models and responses; default: from --model.")
  String name;

  @Option(
      names = "--task-families",
      defaultValue = "",
      paramLabel = "SPEC",
      description =
          "Task families /v1/credit requests may name: built-ins (arith, countdown) and JSONL files"
              + " [NAME=]FILE.jsonl[:exact|numeric|math], comma-separated; default: the built-ins.")
  String taskFamilies = "";

  @Option(
      names = "--max-credit-body-bytes",
      defaultValue = "" + CreditEndpoint.DEFAULT_MAX_BODY_BYTES,
      paramLabel = "BYTES",
      description = "Largest /v1/credit request body; larger ones get 413 (default: 16 MiB).")
  long maxCreditBodyBytes = CreditEndpoint.DEFAULT_MAX_BODY_BYTES;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be in [0, 65535]");
    }
    if (maxRequestBytes <= 0 || (maxPromptTokens != null && maxPromptTokens <= 0)) {
      throw new ParameterException(
          spec.commandLine(), "--max-request-bytes and --max-prompt-tokens must be positive");
    }
    if (BackendKinds.isUrl(model)) {
      try {
        ModelServerUrls.requireAllowed(URI.create(model), allowInsecureModelUrl);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--model: " + e.getMessage());
      }
    }
    String location = model;
    if ("builtin".equals(model)) {
      BuiltInTask task = taskOption.resolveBuiltIn(spec);
      Path store = cli.home().root().resolve("serve").resolve(task.familyName());
      CheckpointStore shipped = new CheckpointStore(store, 8);
      if (shipped.versions().isEmpty()) {
        task.materialiseShipped(shipped);
      }
      location = store.toString();
    }
    if (maxCreditBodyBytes <= 0) {
      throw new ParameterException(spec.commandLine(), "--max-credit-body-bytes must be > 0");
    }
    try {
      TaskFamilyRegistry.parse(taskFamilies);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--task-families: " + e.getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    try (PolicyBackend backend =
            BackendKinds.open(
                location,
                tokenizer,
                EndpointSettings.builder().optAllowInsecureHttp(allowInsecureModelUrl).build());
        CompletionsServer server =
            start(
                backend,
                name != null ? name : modelName(),
                location,
                port,
                taskFamilies,
                maxCreditBodyBytes,
                new CompletionsServer.Limits(
                    maxRequestBytes,
                    maxPromptTokens != null ? maxPromptTokens : backend.maxContext()))) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    stopped.countDown();
                    // Let the main thread close the server and the model before the JVM halts.
                    try {
                      closed.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  },
                  "serve-shutdown"));
      out.printf(
          "serving %s (%s, max context %d) on %s until SIGTERM or Ctrl-C%n",
          backend.description(), backend.capabilities(), backend.maxContext(), server.url());
      out.flush();
      stopped.await();
    } finally {
      closed.countDown();
    }
    return 0;
  }

  /**
   * Starts the server {@code serve} runs: the completions protocol and the credit endpoint on
   * 127.0.0.1:{@code port} for {@code backend} (the caller keeps it), {@code location} being where
   * it was loaded from.
   */
  static CompletionsServer start(
      PolicyBackend backend,
      String modelName,
      String location,
      int port,
      String taskFamilies,
      long maxCreditBodyBytes)
      throws IOException {
    return start(
        backend,
        modelName,
        location,
        port,
        taskFamilies,
        maxCreditBodyBytes,
        CompletionsServer.Limits.defaults(backend));
  }

  /** Serves {@code backend} with the completions {@code limits} and the credit endpoint. */
  static CompletionsServer start(
      PolicyBackend backend,
      String modelName,
      String location,
      int port,
      String taskFamilies,
      long maxCreditBodyBytes,
      CompletionsServer.Limits limits)
      throws IOException {
    CompletionsServer server = CompletionsServer.start(backend, modelName, port, limits);
    try {
      server.addContext(
          CreditEndpoint.PATH,
          new CreditEndpoint(backend, modelName, location, taskFamilies, maxCreditBodyBytes));
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private String modelName() {
    if ("builtin".equals(model) || BackendKinds.isUrl(model)) {
      return "rredcot-" + ("builtin".equals(model) ? taskOption.task : "proxy");
    }
    Path file = Path.of(model).toAbsolutePath().normalize().getFileName();
    return file == null ? "rredcot" : file.toString();
  }
}
