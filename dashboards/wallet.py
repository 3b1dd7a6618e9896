"""The browser-wallet component: connects the holder's EIP-1193 wallet (``window.ethereum``) and asks
it to sign an ``eth_signTypedData_v4`` document. The key never leaves the wallet; the page only
receives the account and the signature."""

from functools import cache

import streamlit as st

JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector('.sahara-wallet');
  if (!root) {
    root = document.createElement('div');
    root.className = 'sahara-wallet';
    root.innerHTML = '<button class="connect"></button> <button class="sign"></button><p class="status"></p>';
    parentElement.appendChild(root);
  }
  const connect = root.querySelector('.connect'), sign = root.querySelector('.sign'), status = root.querySelector('.status');
  connect.textContent = data.account ? 'Wallet: ' + data.account : 'Connect wallet';
  sign.textContent = data.label || 'Sign with wallet';
  sign.disabled = !data.request;
  sign.style.display = data.request ? '' : 'none';
  const wallet = () => {
    if (!window.ethereum) {
      status.textContent = 'No browser wallet found (window.ethereum): install one, or sign another way below.';
      return null;
    }
    return window.ethereum;
  };
  const chain = async (eth) => {
    const want = '0x' + Number(data.chainId).toString(16);
    const have = await eth.request({ method: 'eth_chainId' });
    if (String(have).toLowerCase() !== want) {
      await eth.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: want }] });
    }
  };
  connect.onclick = async () => {
    const eth = wallet();
    if (!eth) return;
    try {
      const accounts = await eth.request({ method: 'eth_requestAccounts' });
      setTriggerValue('connected', accounts[0]);
    } catch (error) {
      setTriggerValue('failed', String((error && error.message) || error));
    }
  };
  sign.onclick = async () => {
    const eth = wallet();
    if (!eth || !data.request) return;
    status.textContent = 'Waiting for the wallet to sign…';
    try {
      await chain(eth);
      const signature = await eth.request({
        method: 'eth_signTypedData_v4', params: [data.account, JSON.stringify(data.request)],
      });
      status.textContent = 'Signed.';
      setTriggerValue('signed', { account: data.account, signature: signature, request: data.requestId });
    } catch (error) {
      status.textContent = '';
      setTriggerValue('failed', String((error && error.message) || error));
    }
  };
}
"""

CSS = """
.sahara-wallet button { padding: 0.4rem 0.9rem; border-radius: 0.5rem; border: 1px solid #c7c7c7;
  background: white; cursor: pointer; font: inherit; margin-right: 0.5rem; }
.sahara-wallet button.sign { background: #1565c0; color: white; border-color: #1565c0; }
.sahara-wallet .status { color: #555; margin: 0.4rem 0 0 0; font-size: 0.9rem; }
"""


@cache
def _component():
    return st.components.v2.component("sahara_wallet", js=JS, css=CSS, isolate_styles=False)


def wallet(*, key: str, chain_id: int, account: str | None, request: dict | None, request_id: str | None,
           label: str = "Sign with wallet"):  # fmt: skip
    """Mount the wallet buttons; returns the component's result (``connected``, ``signed`` and
    ``failed`` are set on the run right after the wallet answered)."""
    data = {"chainId": chain_id, "account": account, "request": request, "requestId": request_id, "label": label}
    return _component()(key=key, data=data, on_connected_change=lambda: None, on_signed_change=lambda: None,
                        on_failed_change=lambda: None)  # fmt: skip
