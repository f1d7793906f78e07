package dev.rredcot.infra.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rredcot.schemas.Topics;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

/**
 * The role table covers the project's topics: a topic added to {@link Topics#ALL} without ACLs
 * would be refused to every service on a secured broker, and only the admin could use it.
 */
class ClientRoleTest {
  @Test
  void everyTopicHasAServiceThatWritesItAndEveryTopicButDeadLettersOneThatReadsIt() {
    Set<String> written = new TreeSet<>();
    Set<String> read = new TreeSet<>();
    for (ClientRole role : ClientRole.values()) {
      for (ClientRole.Permission permission : role.permissions()) {
        if (permission.type() == ResourceType.TOPIC) {
          (permission.operation() == AclOperation.WRITE ? written : read).add(permission.name());
        }
      }
    }
    assertEquals(new TreeSet<>(Topics.ALL), written);
    Set<String> readByServices = new TreeSet<>(Topics.ALL);
    // Dead letters are for people and replay: the admin.
    readByServices.remove(Topics.DEAD_LETTERS);
    assertEquals(readByServices, read);
  }

  @Test
  void aclsAreLiteralAllowRulesOfTheRolesOwnPrincipalAndTheAdminHasNone() {
    Set<String> principals = new HashSet<>();
    for (ClientRole role : ClientRole.values()) {
      List<AclBinding> bindings = role.aclBindings();
      assertEquals(role.permissions().size(), bindings.size());
      for (AclBinding binding : bindings) {
        assertEquals(PatternType.LITERAL, binding.pattern().patternType());
        assertEquals(AclPermissionType.ALLOW, binding.entry().permissionType());
        assertEquals(role.principal(), binding.entry().principal());
        assertEquals("*", binding.entry().host());
      }
      principals.add(role.principal());
    }
    assertTrue(ClientRole.ADMIN.superUser());
    assertTrue(ClientRole.ADMIN.aclBindings().isEmpty());
    assertEquals(ClientRole.values().length, principals.size(), "one principal per role");
    assertTrue(LocalBrokerSecurity.superUsers().contains(ClientRole.ADMIN.principal()));
    assertTrue(LocalBrokerSecurity.superUsers().contains("User:" + ClientRole.BROKER_USER));
  }
}
