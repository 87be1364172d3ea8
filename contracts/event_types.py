"""Every event type Distribu emits, each with a one-line description: what webhook endpoints subscribe to.

`GET /api/v1/webhooks/event-types` lists it and the dashboard's form offers it. A test holds it to the
`kit.events.Event` classes under `contracts/`, so a new event type cannot be left out.
"""

EVENT_TYPES: dict[str, str] = {
    # Identity: the company, its plan and its people.
    "CompanyCreated": "A company signed up.",
    "CompanyUpdated": "The company's name, slug, currency or storefront settings changed.",
    "CompanyDeleted": "The company was deleted; nothing of it is sent after this.",
    "OwnershipTransferred": "The company's ownership passed to another staff member.",
    "TrialStarted": "A new company's trial started, with its plan limits.",
    "SubscriptionChanged": "The company changed plan.",
    "BillingProfileChanged": "The company's billing profile (legal name, address, tax ID) was set or changed.",
    "UserCreated": "A user account was created.",
    "UserSignedIn": "A staff member signed in to the dashboard.",
    "MembershipCreated": "Someone joined the company's team.",
    "MembershipRoleChanged": "A team member's role changed.",
    "MembershipRemoved": "Someone was removed from the company's team.",
    "InviteCreated": "A team invitation was sent.",
    "InviteRevoked": "A team invitation was revoked.",
    "InviteAccepted": "A team invitation was accepted.",
    "CustomerCreated": "A customer was created.",
    "CustomerUpdated": "A customer's name or email changed.",
    "CustomerDeleted": "A customer was deleted, with its contacts and addresses.",
    "CustomerContactCreated": "A contact was added to a customer.",
    "CustomerContactRoleChanged": "A customer contact's storefront role changed.",
    "CustomerContactUpdated": "A customer contact's name changed.",
    "CustomerContactRemoved": "A contact was removed from a customer.",
    "AddressCreated": "A customer address was added.",
    "AddressUpdated": "A customer address changed.",
    "AddressDeleted": "A customer address was deleted.",
    "ApiKeyCreated": "An API key was created.",
    "ApiKeyRevoked": "An API key was revoked.",
    "StorefrontPasswordSet": "A storefront account set its password.",
    "StorefrontSignedIn": "A customer or contact signed in to the storefront.",
    # Catalog.
    "ProductCreated": "A product was added to the catalog.",
    "ProductUpdated": "A product's details or price changed.",
    "ProductArchived": "A product was archived: no longer orderable.",
    "ProductRestored": "An archived product was restored.",
    "ProductDeleted": "A product was deleted.",
    "ProductsImported": "A CSV import of products finished.",
    "PriceOverrideSet": "A customer's own price for a product was set or changed.",
    "PriceOverrideRemoved": "A customer's own price for a product was removed.",
    # Orders and their documents.
    "OrderPlaced": "An order was placed, with all its lines, prices and shipping address.",
    "OrderStatusChanged": "An order moved one step forward (confirmed, shipped, delivered).",
    "OrderCancelled": "An order was cancelled.",
    "DocumentIssued": "An invoice or packing list was issued for an order.",
    "DocumentVoided": "A cancelled order's invoice was voided.",
    "DocumentUploaded": "A file was put in a customer's document vault.",
    "DocumentDeleted": "A file was deleted from a customer's document vault.",
    # Webhooks.
    "WebhookCreated": "A webhook endpoint was created.",
    "WebhookUpdated": "A webhook endpoint's URL, event types or description changed.",
    "WebhookDeleted": "A webhook endpoint was deleted.",
    "WebhookSecretRotated": "A webhook endpoint's signing secret was rotated.",
    "WebhookDisabled": "A webhook endpoint was disabled, by a user or after sustained failure.",
    "WebhookEnabled": "A webhook endpoint was enabled again.",
    "WebhookTest": "A test event, sent from the dashboard or the API to one endpoint.",
}
