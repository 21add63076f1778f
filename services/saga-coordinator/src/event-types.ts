/** Avro full names of the events the coordinator consumes and emits (schemas/). */
export const EventTypes = {
  OrderPlaced: 'fanout.order.OrderPlaced',
  OrderConfirmed: 'fanout.order.OrderConfirmed',
  OrderCancelled: 'fanout.order.OrderCancelled',

  ReserveInventory: 'fanout.inventory.ReserveInventory',
  ReleaseInventory: 'fanout.inventory.ReleaseInventory',
  InventoryReserved: 'fanout.inventory.InventoryReserved',
  InventoryReservationFailed: 'fanout.inventory.InventoryReservationFailed',
  InventoryReleased: 'fanout.inventory.InventoryReleased',

  AuthorizePayment: 'fanout.payment.AuthorizePayment',
  VoidPayment: 'fanout.payment.VoidPayment',
  PaymentAuthorized: 'fanout.payment.PaymentAuthorized',
  PaymentDeclined: 'fanout.payment.PaymentDeclined',
  PaymentVoided: 'fanout.payment.PaymentVoided',

  CreateShipment: 'fanout.shipping.CreateShipment',
  CancelShipment: 'fanout.shipping.CancelShipment',
  ShipmentCreated: 'fanout.shipping.ShipmentCreated',
  ShipmentFailed: 'fanout.shipping.ShipmentFailed',
  ShipmentCancelled: 'fanout.shipping.ShipmentCancelled',

  UserRegistered: 'fanout.user.UserRegistered',
} as const;
