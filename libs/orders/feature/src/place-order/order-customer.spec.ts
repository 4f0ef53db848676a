import { orderCustomer } from './order-customer';

describe('orderCustomer', () => {
  const customer = { subject: 'c-1', roles: [] };
  const admin = { subject: 'ops', roles: ['admin'] };

  it("takes a customer's id from its token, with or without the same id in the body", () => {
    expect(orderCustomer(customer, undefined)).toEqual({ ok: true, customerId: 'c-1' });
    expect(orderCustomer(customer, 'c-1')).toEqual({ ok: true, customerId: 'c-1' });
  });

  it('refuses a customer placing an order in another customer\'s name', () => {
    expect(orderCustomer(customer, 'c-2')).toEqual({ ok: false, problem: expect.stringContaining("caller's own") });
  });

  it('lets an admin place an order for the customer it names, and only if it names one', () => {
    expect(orderCustomer(admin, 'c-2')).toEqual({ ok: true, customerId: 'c-2' });
    expect(orderCustomer(admin, undefined)).toEqual({ ok: false, problem: expect.stringContaining('required') });
  });
});
