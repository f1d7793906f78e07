package dev.rredcot.model.backend.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCardTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private ObjectNode card() {
    ObjectNode card = JSON.createObjectNode();
    card.put("format", ModelCard.FORMAT);
    card.put("modelFile", "model.pt");
    card.put("tokenizerFile", "tokenizer.json");
    card.put("answerCue", "A: ");
    card.put("padToken", "<pad>");
    card.put("bosToken", "<s>");
    card.put("eosToken", "</s>");
    card.putNull("chatTemplate");
    card.put("maxContext", 64);
    card.put("vocabSize", 26);
    card.put("layers", 2);
    card.put("heads", 2);
    card.put("headDim", 8);
    return card;
  }

  private void write(ObjectNode card) throws IOException {
    JSON.writeValue(dir.resolve(ModelCard.FILE_NAME).toFile(), card);
  }

  @Test
  void readsEveryField() throws IOException {
    write(card());
    ModelCard card = ModelCard.read(dir);
    assertEquals("model.pt", card.modelFile());
    assertEquals("A: ", card.answerCue());
    assertEquals("</s>", card.eosToken());
    assertNull(card.chatTemplate());
    assertEquals(64, card.maxContext());
    assertEquals(8, card.headDim());
  }

  @Test
  void namesAMissingField() throws IOException {
    ObjectNode card = card();
    card.remove("heads");
    write(card);
    IOException e = assertThrows(IOException.class, () -> ModelCard.read(dir));
    assertTrue(e.getMessage().contains("heads"), e.getMessage());
  }

  @Test
  void refusesAnotherFormatAndNonPositiveSizes() throws IOException {
    ObjectNode card = card();
    card.put("format", "something-else");
    write(card);
    assertThrows(IOException.class, () -> ModelCard.read(dir));
    card = card();
    card.put("maxContext", 0);
    write(card);
    IOException e = assertThrows(IOException.class, () -> ModelCard.read(dir));
    assertTrue(e.getMessage().contains("positive"), e.getMessage());
  }

  @Test
  void saysWhenThereIsNoCard() {
    IOException e = assertThrows(IOException.class, () -> ModelCard.read(dir));
    assertTrue(e.getMessage().contains(ModelCard.FILE_NAME), e.getMessage());
  }
}
